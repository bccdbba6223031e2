//! routes (in progress)
