//! An emulation of linkerd's own `cli/table` package (used by `multicluster gateways`): fixed or
//! flexible column widths counted in runes, left- or right-aligned cells, and two spaces after
//! *every* cell, including the last. Hand-written for byte-exact output, like the tabwriter.
//! Pure; no I/O.

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
            let pad = " ".repeat(widths[c] - runes(value));
            if col.left_align {
                out.push_str(value);
                out.push_str(&pad);
            } else {
                out.push_str(&pad);
                out.push_str(value);
            }
            out.push_str(COLUMN_SPACING);
        }
        out.push('\n');
    }
    out
}

fn cell(row: &[String], c: usize) -> &str {
    row.get(c).map_or("", String::as_str)
}

fn runes(s: &str) -> usize {
    s.chars().count()
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
}
