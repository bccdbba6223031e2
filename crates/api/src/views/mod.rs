//! One file per endpoint: its request and answer types, its [`Endpoint`](crate::Endpoint)
//! description and Linkerd's validation of it. The list of endpoints is
//! [`for_each_endpoint!`](crate::for_each_endpoint).

pub mod authz;
pub mod checks;
pub mod edges;
pub mod gateways;
pub mod pods;
pub mod routes;
pub mod self_check;
pub mod services;
pub mod stat;
pub mod stat_inbound;
pub mod stat_outbound;

/// Calls the macro `$m` with the path of every endpoint of the API, in a fixed order: the
/// spec's four paths, then lviz's extensions. This is the one list of endpoints; a new view
/// adds one line here.
#[macro_export]
macro_rules! for_each_endpoint {
    ($m:ident) => {
        $m!(
            $crate::Stat,
            $crate::TopRoutes,
            $crate::Edges,
            $crate::Gateways,
            $crate::Checks,
            $crate::StatInbound,
            $crate::StatOutbound,
            $crate::Authz,
            $crate::ListPods,
            $crate::ListServices,
            $crate::SelfCheck
        )
    };
}

macro_rules! names_and_paths {
    ($($e:ty),*) => {
        &[$((<$e as crate::Endpoint>::NAME, <$e as crate::Endpoint>::PATH)),*]
    };
}

/// Every endpoint as (name, path), for documentation and tests.
pub const ENDPOINTS: &[(&str, &str)] = for_each_endpoint!(names_and_paths);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_paths_are_unique() {
        let mut names: Vec<_> = ENDPOINTS.iter().map(|(n, _)| n).collect();
        let mut paths: Vec<_> = ENDPOINTS.iter().map(|(_, p)| p).collect();
        names.sort();
        names.dedup();
        paths.sort();
        paths.dedup();
        assert_eq!(names.len(), ENDPOINTS.len());
        assert_eq!(paths.len(), ENDPOINTS.len());
        assert!(ENDPOINTS.iter().all(|(_, p)| p.starts_with("/api/v1/")));
    }
}
