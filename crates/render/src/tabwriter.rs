//! A byte-exact emulation of Go's `text/tabwriter`, as linkerd's `stat`, `routes` and `edges`
//! configure it: `NewWriter(&buf, minwidth 0, tabwidth 0, padding 3, ' ', AlignRight)`, plus the
//! "strip the first column's left padding" step those commands run on the result.
//!
//! Hand-written on purpose: table crates (comfy-table and friends) lay columns out their own way,
//! and lviz must reproduce tabwriter's column *blocks*, its rune-counted widths, its right
//! alignment of every cell and its flush rules to the byte. Pure; no I/O.

/// The padding linkerd passes to tabwriter, and the number of bytes it strips afterwards.
pub const PADDING: usize = 3;

#[derive(Debug, Clone)]
struct Cell {
    text: String,
    /// Width in runes (Go's `utf8.RuneCount`), which is what tabwriter aligns on.
    width: usize,
}

/// Go's `tabwriter.Writer` with linkerd's settings. Cells are terminated by `\t`; lines end with
/// `\n` or `\f`. A `\f`, or a line holding a single cell (e.g. an empty separator line), flushes,
/// so each table separated by a blank line is laid out on its own.
#[derive(Debug)]
pub struct TabWriter {
    padding: usize,
    align_right: bool,
    /// Measure cells by display width (ANSI escape sequences excluded) instead of runes: lviz's
    /// own colors must not move columns. Off for linkerd's layouts, which count every rune.
    display_width: bool,
    /// Buffered lines; the last one is the line being written.
    lines: Vec<Vec<Cell>>,
    /// Per buffered line: sized like the others but not printed (`--no-headers`).
    hidden: Vec<bool>,
    cell: String,
    out: String,
}

impl Default for TabWriter {
    fn default() -> Self {
        Self::new(PADDING, true)
    }
}

impl TabWriter {
    pub fn new(padding: usize, align_right: bool) -> Self {
        TabWriter {
            padding,
            align_right,
            display_width: false,
            lines: vec![Vec::new()],
            hidden: vec![false],
            cell: String::new(),
            out: String::new(),
        }
    }

    /// Size cells by [`display_width`] (ANSI escapes excluded) when `on`.
    pub fn with_display_width(mut self, on: bool) -> Self {
        self.display_width = on;
        self
    }

    pub fn write(&mut self, text: &str) {
        for c in text.chars() {
            match c {
                '\t' => self.terminate_cell(),
                '\n' | '\x0c' => {
                    self.terminate_cell();
                    let ncells = self.lines.last().map_or(0, Vec::len);
                    self.lines.push(Vec::new());
                    self.hidden.push(false);
                    if c == '\x0c' || ncells == 1 {
                        self.flush_buffered();
                    }
                }
                c => self.cell.push(c),
            }
        }
    }

    /// One line of cells, each tab-terminated, then a newline: linkerd appends `\t` to the last
    /// header cell and ends every row template with `\t\n`, so no line has a trailing cell.
    pub fn write_row(&mut self, cells: &[String]) {
        for cell in cells {
            self.write(cell);
            self.write("\t");
        }
        self.write("\n");
    }

    /// A header row: when `shown` is false it still sizes the columns (so `--no-headers` output
    /// is the default output minus its header lines) but is not printed.
    pub fn write_header(&mut self, cells: &[String], shown: bool) {
        if !shown && let Some(h) = self.hidden.last_mut() {
            *h = true;
        }
        self.write_row(cells);
    }

    /// Flush and return everything written.
    pub fn finish(mut self) -> String {
        self.flush_buffered();
        self.out
    }

    fn terminate_cell(&mut self) {
        let text = std::mem::take(&mut self.cell);
        let width = if self.display_width { display_width(&text) } else { text.chars().count() };
        if let Some(line) = self.lines.last_mut() {
            line.push(Cell { text, width });
        }
    }

    fn flush_buffered(&mut self) {
        if !self.cell.is_empty() {
            self.terminate_cell();
        }
        let mut widths = Vec::new();
        let mut out = std::mem::take(&mut self.out);
        self.format(&mut out, &mut widths, 0, self.lines.len());
        self.out = out;
        self.lines = vec![Vec::new()];
        self.hidden = vec![false];
    }

    /// Go's `Writer.format`: find the block of consecutive lines that have a cell in column
    /// `widths.len()`, size that column over the block, and recurse for the columns to its right.
    fn format(&self, out: &mut String, widths: &mut Vec<usize>, mut line0: usize, line1: usize) {
        let column = widths.len();
        let mut this = line0;
        while this < line1 {
            // The last cell of a line is not part of any column (cells are tab-terminated).
            if column + 1 >= self.lines[this].len() {
                this += 1;
                continue;
            }
            self.write_lines(out, widths, line0, this);
            line0 = this;
            let mut width = 0;
            while this < line1 && column + 1 < self.lines[this].len() {
                width = width.max(self.lines[this][column].width + self.padding);
                this += 1;
            }
            widths.push(width);
            self.format(out, widths, line0, this);
            widths.pop();
            line0 = this;
        }
        self.write_lines(out, widths, line0, line1);
    }

    fn write_lines(&self, out: &mut String, widths: &[usize], line0: usize, line1: usize) {
        for i in line0..line1 {
            if self.hidden.get(i).copied().unwrap_or(false) {
                continue;
            }
            for (j, cell) in self.lines[i].iter().enumerate() {
                let pad = widths.get(j).map_or(0, |w| w.saturating_sub(cell.width));
                if self.align_right || cell.text.is_empty() {
                    push_spaces(out, pad);
                    out.push_str(&cell.text);
                } else {
                    out.push_str(&cell.text);
                    push_spaces(out, pad);
                }
            }
            // The line still being written has no newline yet.
            if i + 1 != self.lines.len() {
                out.push('\n');
            }
        }
    }
}

use crate::style::display_width;

fn push_spaces(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

/// linkerd's `renderStats`/`renderEdges` post-processing: drop the first column's left padding,
/// i.e. the first [`PADDING`] bytes and every `"\n"` + [`PADDING`] spaces. Output of
/// [`PADDING`] bytes or less becomes empty, as upstream.
pub fn strip_left_padding(text: &str) -> String {
    let rest = text.get(PADDING..).unwrap_or("");
    rest.replace(&format!("\n{}", " ".repeat(PADDING)), "\n")
}

/// Go's `fmt.Sprintf("%-Ns", s)`: pad on the right to `width` *runes*.
pub fn pad_right_runes(s: &str, width: usize) -> String {
    let runes = s.chars().count();
    let mut out = String::with_capacity(s.len() + width.saturating_sub(runes));
    out.push_str(s);
    push_spaces(&mut out, width.saturating_sub(runes));
    out
}

/// `s + strings.Repeat(" ", width-len(s))`: pad on the right to `width` *bytes*, as linkerd pads
/// the NAME and NAMESPACE values of stat tables.
pub fn pad_right_bytes(s: &str, width: usize) -> String {
    let mut out = String::with_capacity(width.max(s.len()));
    out.push_str(s);
    push_spaces(&mut out, width.saturating_sub(s.len()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(input: &str) -> String {
        let mut w = TabWriter::default();
        w.write(input);
        w.finish()
    }

    #[test]
    fn right_aligns_every_cell_with_padding_three() {
        let out = run("NAME\tRPS\t\nweb\t1.0rps\t\n");
        assert_eq!(out, "   NAME      RPS\n    web   1.0rps\n");
        assert_eq!(strip_left_padding(&out), "NAME      RPS\n web   1.0rps\n");
    }

    #[test]
    fn blank_line_separates_column_blocks() {
        let out = run("A\tB\t\nlonger\tx\t\n\nC\tD\t\n");
        assert_eq!(out, "        A   B\n   longer   x\n\n   C   D\n");
    }

    #[test]
    fn form_feed_flushes_and_prints_a_newline() {
        let out = run("==> deployment/web <==\t\x0cROUTE\tX\t\nab\tyz\t\n\n");
        assert_eq!(out, "   ==> deployment/web <==\n   ROUTE    X\n      ab   yz\n\n");
    }

    #[test]
    fn widths_count_runes_not_bytes() {
        let out = run("√\tx\t\nab\ty\t\n");
        assert_eq!(out, "    √   x\n   ab   y\n");
    }

    #[test]
    fn trailing_text_without_tab_is_not_a_column() {
        let out = run("a\tlong trailing\nbbb\tx\n");
        assert_eq!(out, "     along trailing\n   bbbx\n");
    }

    #[test]
    fn hidden_header_sizes_columns_but_is_not_printed() {
        let mut w = TabWriter::default();
        w.write_header(&["NAME".into(), "RPS".into()], false);
        w.write_row(&["a".into(), "1".into()]);
        assert_eq!(w.finish(), "      a     1\n");
    }

    #[test]
    fn display_width_ignores_colors() {
        let mut w = TabWriter::default().with_display_width(true);
        w.write_row(&["\x1b[32mab\x1b[39m".into(), "x".into()]);
        w.write_row(&["abc".into(), "y".into()]);
        assert_eq!(w.finish(), "    \x1b[32mab\x1b[39m   x\n   abc   y\n");
    }

    #[test]
    fn strip_handles_short_output() {
        assert_eq!(strip_left_padding(""), "");
        assert_eq!(strip_left_padding("ab"), "");
    }

    #[test]
    fn padding_helpers() {
        assert_eq!(pad_right_runes("é", 3), "é  ");
        assert_eq!(pad_right_bytes("é", 3), "é ");
        assert_eq!(pad_right_bytes("long", 2), "long");
    }
}
