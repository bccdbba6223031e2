//! gateways (in progress)
