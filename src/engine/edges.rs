//! edges (in progress)
