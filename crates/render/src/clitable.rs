//! An emulation of linkerd's own `cli/table` package (used by `multicluster gateways`,
//! `stat-inbound`, `stat-outbound` and `authz`): fixed or flexible column widths counted in
//! runes, left- or right-aligned cells, two spaces after *every* cell, including the last, and
//! its tree drawing: a cell ending in `─` is padded with `─` (and followed by `──` when the next
//! cell starts with `─`), a cell starting with `─` is left-padded with `─`. Hand-written for
//! byte-exact output, like the tabwriter. Widths ignore color escapes. Pure; no I/O.

/// One column of a [`CliTable`].
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub header: &'static str,
    /// Minimum width in runes.
    pub width: usize,
    /// Grow to the widest value.
    pub flexible: bool,
    pub left_align: bool,
}

const COLUMN_SPACING: &str = "  ";

/// Render the header (unless `headers` is false; widths do not depend on it) and `rows` (already
/// sorted). Values wider than a fixed column are cut to
/// the column width, as upstream does.
pub fn render(columns: &[Column], rows: &[Vec<String>], headers: bool) -> String {
    let widths: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(c, col)| {
            let widest = rows.iter().map(|r| runes(cell(r, c))).max().unwrap_or(0);
            if col.flexible { col.width.max(widest) } else { col.width }
        })
        .collect();
    let header: Vec<String> = columns.iter().map(|c| c.header.to_string()).collect();
    let mut out = String::new();
    let shown_header = headers.then_some(&header);
    for row in shown_header.into_iter().chain(rows) {
        for (c, col) in columns.iter().enumerate() {
            let value = truncate_runes(cell(row, c), widths[c]);
            let fill = widths[c] - runes(value);
            let next_is_line = c + 1 < columns.len() && cell(row, c + 1).starts_with(LINE);
            let spacing = if value.ends_with(LINE) && next_is_line { "──" } else { COLUMN_SPACING };
            if value.starts_with(LINE) {
                out.push_str(&LINE.repeat(fill));
                out.push_str(value);
            } else if value.ends_with(LINE) {
                out.push_str(value);
                out.push_str(&LINE.repeat(fill));
            } else if col.left_align {
                out.push_str(value);
                out.push_str(&" ".repeat(fill));
            } else {
                out.push_str(&" ".repeat(fill));
                out.push_str(value);
            }
            out.push_str(spacing);
        }
        out.push('\n');
    }
    out
}

/// The line character of linkerd's tree rows.
const LINE: &str = "─";

fn cell(row: &[String], c: usize) -> &str {
    row.get(c).map_or("", String::as_str)
}

/// Width in runes, color escapes excluded (the same as linkerd's rune count without color).
fn runes(s: &str) -> usize {
    crate::style::display_width(s)
}

fn truncate_runes(s: &str, width: usize) -> &str {
    match s.char_indices().nth(width) {
        Some((end, _)) => &s[..end],
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flexible_fixed_and_alignment() {
        let columns = [
            Column { header: "NAME", width: 4, flexible: true, left_align: true },
            Column { header: "N", width: 3, flexible: false, left_align: false },
        ];
        let rows = vec![vec!["é-long".to_string(), "12345".to_string()]];
        assert_eq!(render(&columns, &rows, true), "NAME      N  \né-long  123  \n");
        assert_eq!(render(&columns, &rows, false), "é-long  123  \n");
    }

    #[test]
    fn tree_cells_are_drawn_with_lines() {
        let left = |header: &'static str| Column { header, width: header.len(), flexible: true, left_align: true };
        let columns = [left("NAME"), left("ROUTE"), left("TYPE"), left("BACKEND")];
        let cells = |v: [&str; 4]| v.map(String::from).to_vec();
        let rows = vec![cells(["web", "long-route", "GRPCRoute", ""]), cells(["", "└─", "─►", "svc:80"])];
        assert_eq!(
            render(&columns, &rows, true),
            "NAME  ROUTE       TYPE       BACKEND  \n\
             web   long-route  GRPCRoute           \n\
             \x20     └───────────────────►  svc:80   \n"
        );
    }
}
