//! ServiceProfiles and Services for routes, mirrored services for gateways (in progress)
