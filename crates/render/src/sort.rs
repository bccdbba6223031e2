//! `--sort-by COLUMN`: the columns each command can sort on, parsing (`-` prefix for descending,
//! header spellings accepted as aliases), and the comparison rules shared by every renderer:
//! rows without data sort last whichever the direction, and ties keep linkerd's default order
//! (every sort is stable over rows already in that order). Pure; no I/O.

use std::cmp::Ordering;

/// A column a table can be sorted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortColumn {
    Name,
    Namespace,
    Status,
    Meshed,
    Success,
    Rps,
    P50,
    P95,
    P99,
    Tcp,
    Read,
    Write,
    Route,
    Service,
    ActualSuccess,
    ActualRps,
    Src,
    Dst,
    SrcNs,
    DstNs,
    ClientId,
    ServerId,
    Secured,
    Cluster,
    Alive,
    NumSvc,
    Server,
    Type,
    Timeouts,
    Retries,
    Authorization,
    Unauthorized,
}

/// `--sort-by`, parsed for one command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortBy {
    pub column: SortColumn,
    pub descending: bool,
}

/// Which command's columns a `--sort-by` value is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortTable {
    Stat,
    Routes,
    Edges,
    Gateways,
    StatInbound,
    StatOutbound,
    Authz,
}

use SortColumn as C;

/// (canonical name, aliases, column). Aliases are the header spellings, lowercased.
type Entry = (&'static str, &'static [&'static str], SortColumn);

const STAT: &[Entry] = &[
    ("name", &[], C::Name),
    ("namespace", &["ns"], C::Namespace),
    ("status", &[], C::Status),
    ("meshed", &[], C::Meshed),
    ("success", &[], C::Success),
    ("rps", &[], C::Rps),
    ("p50", &["latency_p50"], C::P50),
    ("p95", &["latency_p95"], C::P95),
    ("p99", &["latency_p99"], C::P99),
    ("tcp", &["tcp_conn"], C::Tcp),
    ("read", &["read_bytes", "read_bytes/sec"], C::Read),
    ("write", &["write_bytes", "write_bytes/sec"], C::Write),
];

const ROUTES: &[Entry] = &[
    ("route", &[], C::Route),
    ("service", &["authority"], C::Service),
    ("success", &["effective_success"], C::Success),
    ("rps", &["effective_rps"], C::Rps),
    ("actual_success", &[], C::ActualSuccess),
    ("actual_rps", &[], C::ActualRps),
    ("p50", &["latency_p50"], C::P50),
    ("p95", &["latency_p95"], C::P95),
    ("p99", &["latency_p99"], C::P99),
];

const EDGES: &[Entry] = &[
    ("src", &[], C::Src),
    ("dst", &[], C::Dst),
    ("src_ns", &["src_namespace"], C::SrcNs),
    ("dst_ns", &["dst_namespace"], C::DstNs),
    ("client_id", &["client"], C::ClientId),
    ("server_id", &["server"], C::ServerId),
    ("secured", &[], C::Secured),
];

const GATEWAYS: &[Entry] = &[
    ("cluster", &["cluster_name"], C::Cluster),
    ("alive", &[], C::Alive),
    ("num_svc", &["paired_services"], C::NumSvc),
    ("p50", &["latency_p50"], C::P50),
    ("p95", &["latency_p95"], C::P95),
    ("p99", &["latency_p99"], C::P99),
];

const STAT_INBOUND: &[Entry] = &[
    ("name", &[], C::Name),
    ("namespace", &["ns"], C::Namespace),
    ("server", &[], C::Server),
    ("route", &[], C::Route),
    ("type", &[], C::Type),
    ("success", &[], C::Success),
    ("rps", &[], C::Rps),
    ("p50", &["latency_p50"], C::P50),
    ("p95", &["latency_p95"], C::P95),
    ("p99", &["latency_p99"], C::P99),
];

const STAT_OUTBOUND: &[Entry] = &[
    ("name", &[], C::Name),
    ("namespace", &["ns"], C::Namespace),
    ("service", &[], C::Service),
    ("route", &[], C::Route),
    ("type", &[], C::Type),
    ("success", &[], C::Success),
    ("rps", &[], C::Rps),
    ("p50", &["latency_p50"], C::P50),
    ("p95", &["latency_p95"], C::P95),
    ("p99", &["latency_p99"], C::P99),
    ("timeouts", &[], C::Timeouts),
    ("retries", &[], C::Retries),
];

const AUTHZ: &[Entry] = &[
    ("route", &[], C::Route),
    ("server", &[], C::Server),
    ("authorization", &["authz"], C::Authorization),
    ("unauthorized", &[], C::Unauthorized),
    ("success", &[], C::Success),
    ("rps", &[], C::Rps),
    ("p50", &["latency_p50"], C::P50),
    ("p95", &["latency_p95"], C::P95),
    ("p99", &["latency_p99"], C::P99),
];

impl SortTable {
    fn entries(self) -> &'static [Entry] {
        match self {
            SortTable::Stat => STAT,
            SortTable::Routes => ROUTES,
            SortTable::Edges => EDGES,
            SortTable::Gateways => GATEWAYS,
            SortTable::StatInbound => STAT_INBOUND,
            SortTable::StatOutbound => STAT_OUTBOUND,
            SortTable::Authz => AUTHZ,
        }
    }

    fn command(self) -> &'static str {
        match self {
            SortTable::Stat => "stat",
            SortTable::Routes => "routes",
            SortTable::Edges => "edges",
            SortTable::Gateways => "gateways",
            SortTable::StatInbound => "stat-inbound",
            SortTable::StatOutbound => "stat-outbound",
            SortTable::Authz => "authz",
        }
    }

    /// The canonical column names, in table order (for help and error messages).
    pub fn column_names(self) -> Vec<&'static str> {
        self.entries().iter().map(|(name, ..)| *name).collect()
    }
}

/// Parses `--sort-by` for `table`: `COLUMN` ascending, `-COLUMN` descending. Case-insensitive;
/// header spellings (`LATENCY_P99`, `TCP_CONN`) work too.
pub fn parse_sort(table: SortTable, text: &str) -> Result<SortBy, String> {
    let (descending, name) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let wanted = name.trim().to_ascii_lowercase().replace('-', "_");
    let found = table
        .entries()
        .iter()
        .find(|(canonical, aliases, _)| *canonical == wanted || aliases.contains(&wanted.as_str()));
    match found {
        Some((_, _, column)) => Ok(SortBy { column: *column, descending }),
        None => Err(format!(
            "unknown --sort-by column {name:?} for {}; valid columns: {} (prefix with - for descending)",
            table.command(),
            table.column_names().join(", ")
        )),
    }
}

/// Orders two optional values: present before absent whatever the direction; present values
/// ascending, or descending when asked. NaN compares equal (keeps the default order).
pub fn cmp_values<T: PartialOrd>(a: Option<T>, b: Option<T>, descending: bool) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => {
            let ord = a.partial_cmp(&b).unwrap_or(Ordering::Equal);
            if descending { ord.reverse() } else { ord }
        }
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// Byte order of two strings, reversed when descending.
pub fn cmp_text(a: &str, b: &str, descending: bool) -> Ordering {
    let ord = a.as_bytes().cmp(b.as_bytes());
    if descending { ord.reverse() } else { ord }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_aliases_and_direction() {
        assert_eq!(parse_sort(SortTable::Stat, "rps"), Ok(SortBy { column: C::Rps, descending: false }));
        assert_eq!(parse_sort(SortTable::Stat, "-p99"), Ok(SortBy { column: C::P99, descending: true }));
        assert_eq!(parse_sort(SortTable::Stat, "LATENCY_P95"), Ok(SortBy { column: C::P95, descending: false }));
        assert_eq!(parse_sort(SortTable::Stat, "-TCP_CONN"), Ok(SortBy { column: C::Tcp, descending: true }));
        assert_eq!(parse_sort(SortTable::Edges, "src-ns"), Ok(SortBy { column: C::SrcNs, descending: false }));
        assert_eq!(parse_sort(SortTable::Routes, "route"), Ok(SortBy { column: C::Route, descending: false }));
    }

    #[test]
    fn unknown_column_names_it_and_lists_the_valid_ones() {
        let err = parse_sort(SortTable::Routes, "-tcp").unwrap_err();
        assert_eq!(
            err,
            "unknown --sort-by column \"tcp\" for routes; valid columns: route, service, success, rps, \
             actual_success, actual_rps, p50, p95, p99 (prefix with - for descending)"
        );
    }

    #[test]
    fn absent_values_sort_last_in_both_directions() {
        let mut v = vec![None, Some(2.0), Some(1.0), None, Some(3.0)];
        v.sort_by(|a, b| cmp_values(*a, *b, false));
        assert_eq!(v, [Some(1.0), Some(2.0), Some(3.0), None, None]);
        v.sort_by(|a, b| cmp_values(*a, *b, true));
        assert_eq!(v, [Some(3.0), Some(2.0), Some(1.0), None, None]);
    }
}
