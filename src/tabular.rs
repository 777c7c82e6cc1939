//! Spreadsheets out: rows of typed cells written as CSV (UTF-8 with a byte-order mark, so that
//! Excel shows Chinese; one header row) or as an XLSX workbook (typed cells: numbers, dates),
//! both without holding the rows in memory. CSV streams as it is written; a workbook is
//! written row by row to a temporary file (constant memory) and streamed from it.

use std::io::{self, Write};

use chrono::{Datelike, NaiveDate};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet, XlsxError};

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    Number(f64),
    Date(NaiveDate),
    Empty,
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::Text(s.to_owned())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::Text(s)
    }
}

impl From<Option<String>> for Cell {
    fn from(s: Option<String>) -> Cell {
        s.map_or(Cell::Empty, Cell::Text)
    }
}

/// Where rows go.
pub trait RowSink {
    fn row(&mut self, cells: &[Cell]) -> io::Result<()>;
    /// Writes what remains into `out` (the workbook; nothing for CSV, which went out as it
    /// was written).
    fn finish(self: Box<Self>, out: &mut dyn Write) -> io::Result<()>;
}

/// A text cell that a spreadsheet would read as a formula (CSV injection) is written with a
/// leading apostrophe, which spreadsheets show as text.
fn defused(text: &str) -> std::borrow::Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}").into(),
        _ => text.into(),
    }
}

/// CSV (RFC 4180: comma-separated, CRLF, fields quoted when they hold a comma, quote or line
/// break), UTF-8 after a byte-order mark.
pub struct CsvSink<W: Write> {
    out: W,
}

impl<W: Write> CsvSink<W> {
    pub fn new(mut out: W, headers: &[&str]) -> io::Result<CsvSink<W>> {
        out.write_all("\u{feff}".as_bytes())?;
        let mut sink = CsvSink { out };
        let headers: Vec<Cell> = headers.iter().map(|h| Cell::from(*h)).collect();
        sink.write_row(&headers)?;
        Ok(sink)
    }

    fn write_row(&mut self, cells: &[Cell]) -> io::Result<()> {
        for (i, cell) in cells.iter().enumerate() {
            if i > 0 {
                self.out.write_all(b",")?;
            }
            match cell {
                Cell::Text(text) => {
                    let text = defused(text);
                    if text.contains([',', '"', '\n', '\r']) {
                        write!(self.out, "\"{}\"", text.replace('"', "\"\""))?;
                    } else {
                        self.out.write_all(text.as_bytes())?;
                    }
                }
                Cell::Int(n) => write!(self.out, "{n}")?,
                Cell::Number(x) => write!(self.out, "{x}")?,
                Cell::Date(d) => write!(self.out, "{d}")?,
                Cell::Empty => {}
            }
        }
        self.out.write_all(b"\r\n")
    }
}

impl<W: Write> RowSink for CsvSink<W> {
    fn row(&mut self, cells: &[Cell]) -> io::Result<()> {
        self.write_row(cells)
    }

    fn finish(mut self: Box<Self>, _out: &mut dyn Write) -> io::Result<()> {
        self.out.flush()
    }
}

fn xlsx_error(e: XlsxError) -> io::Error {
    io::Error::other(e)
}

/// An XLSX workbook of one worksheet, written in constant memory.
pub struct XlsxSink {
    workbook: Workbook,
    next_row: u32,
    date: Format,
    hours: Format,
}

impl XlsxSink {
    pub fn new(sheet_name: &str, headers: &[&str]) -> io::Result<XlsxSink> {
        let mut workbook = Workbook::new();
        let bold = Format::new().set_bold();
        let sheet = workbook
            .add_worksheet_with_constant_memory()
            .map_err(xlsx_error)?
            .set_name(sheet_name)
            .map_err(xlsx_error)?;
        for (col, header) in headers.iter().enumerate() {
            let col = u16::try_from(col).map_err(io::Error::other)?;
            sheet.set_column_width(col, 14).map_err(xlsx_error)?;
            sheet
                .write_string_with_format(0, col, *header, &bold)
                .map_err(xlsx_error)?;
        }
        Ok(XlsxSink {
            workbook,
            next_row: 1,
            date: Format::new().set_num_format("yyyy-mm-dd"),
            hours: Format::new().set_num_format("0.00"),
        })
    }

    fn sheet(&mut self) -> io::Result<&mut Worksheet> {
        self.workbook.worksheet_from_index(0).map_err(xlsx_error)
    }

    /// The workbook, for a caller that adds to it before it is written (a chart).
    pub fn workbook(&mut self) -> &mut Workbook {
        &mut self.workbook
    }
}

impl RowSink for XlsxSink {
    fn row(&mut self, cells: &[Cell]) -> io::Result<()> {
        let row = self.next_row;
        let (date, hours) = (self.date.clone(), self.hours.clone());
        let sheet = self.sheet()?;
        for (col, cell) in cells.iter().enumerate() {
            let col = u16::try_from(col).map_err(io::Error::other)?;
            match cell {
                Cell::Text(text) => sheet.write_string(row, col, text.as_str()),
                Cell::Int(n) => sheet.write_number(row, col, *n as f64),
                Cell::Number(x) => sheet.write_number_with_format(row, col, *x, &hours),
                Cell::Date(d) => {
                    let day = ExcelDateTime::from_ymd(
                        u16::try_from(d.year()).map_err(io::Error::other)?,
                        d.month() as u8,
                        d.day() as u8,
                    )
                    .map_err(xlsx_error)?;
                    sheet.write_datetime_with_format(row, col, &day, &date)
                }
                Cell::Empty => continue,
            }
            .map_err(xlsx_error)?;
        }
        self.next_row += 1;
        Ok(())
    }

    fn finish(mut self: Box<Self>, out: &mut dyn Write) -> io::Result<()> {
        // The workbook is a zip: written whole to a temporary file, then copied out.
        let mut file = tempfile::tempfile()?;
        self.workbook
            .save_to_writer(&mut file)
            .map_err(xlsx_error)?;
        use std::io::Seek;
        file.rewind()?;
        io::copy(&mut file, out)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_has_a_bom_a_header_and_quotes_what_needs_quoting() {
        let mut out = Vec::new();
        let mut sink = CsvSink::new(&mut out, &["姓名", "时长"]).unwrap();
        sink.row(&["张*, \"三\"".into(), Cell::Int(90)]).unwrap();
        sink.row(&[
            "=HYPERLINK(1)".into(),
            Cell::Date(NaiveDate::from_ymd_opt(2026, 3, 5).unwrap()),
        ])
        .unwrap();
        sink.row(&[Cell::Empty, Cell::Number(1.5)]).unwrap();
        Box::new(sink).finish(&mut Vec::new()).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\u{feff}姓名,时长\r\n\"张*, \"\"三\"\"\",90\r\n'=HYPERLINK(1),2026-03-05\r\n,1.5\r\n"
        );
    }
}
