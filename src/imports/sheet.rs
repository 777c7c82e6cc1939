//! Spreadsheets as federation staff keep them, for `zhiyuan import`: CSV (UTF-8, with or
//! without a byte-order mark) or a workbook (XLSX, XLS, ODS; the first sheet), one header row
//! with the API's field names or their usual Chinese names, one row per item. Cells become the
//! rows of an import as typed as the sheet allows (labels such as 男 or 群众 become codes, dates
//! in any usual spelling become `YYYY-MM-DD`, hours become minutes, an ID number without a type
//! is a resident identity card's); whatever does not convert
//! is passed as written, so the server's rules name the problem in the report.

use std::collections::BTreeMap;
use std::path::Path;

use calamine::{Data, DataType, Reader};
use chrono::NaiveDate;
use serde_json::{Map, Value};

use super::dto::{ImportResponse, Row};
use super::service::{self, ImportDeps, MAX_ROWS, RowOutcome};
use crate::audit::Origin;
use crate::auth::policy::Actor;
use crate::db::PooledConn;
use crate::error::{ApiError, Lang};
use crate::meta::enums::{Education, Gender, IdType, PoliticalStatus, Skill};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportKind {
    Volunteers,
    ServiceRecords,
}

/// A row of the sheet: where it is (the line a spreadsheet program shows) and what it says.
#[derive(Debug)]
pub struct SheetRow {
    pub line: usize,
    pub row: Row,
}

/// A spreadsheet read: its rows, and the headers no field answers to (ignored).
#[derive(Debug)]
pub struct Sheet {
    pub rows: Vec<SheetRow>,
    pub ignored_columns: Vec<String>,
}

/// What a column holds.
#[derive(Clone, Copy)]
enum Column {
    Text(&'static str),
    Choice(&'static str, fn(&str) -> Option<&'static str>),
    Choices(&'static str, fn(&str) -> Option<&'static str>),
    Date(&'static str),
    Whole(&'static str),
    /// Hours, written to `minutes`.
    Hours,
    YesNo(&'static str),
}

/// Each column: the names a header may carry (the field name first).
fn columns(kind: ImportKind) -> Vec<(Column, &'static [&'static str])> {
    use Column::*;
    let person: Vec<(Column, &'static [&'static str])> = vec![
        (Choice("id_type", id_type_code), &["id_type", "证件类型"]),
        (
            Text("id_number"),
            &["id_number", "证件号码", "证件号", "身份证号", "身份证号码"],
        ),
    ];
    match kind {
        ImportKind::Volunteers => [
            vec![
                (
                    Text("mobile"),
                    &["mobile", "手机号", "手机号码", "手机", "联系电话"][..],
                ),
                (Text("real_name"), &["real_name", "姓名", "真实姓名"][..]),
                (
                    Choice("gender", |t| Gender::from_label(t).map(Gender::code)),
                    &["gender", "性别"][..],
                ),
                (Date("birth_date"), &["birth_date", "出生日期", "生日"][..]),
                (
                    Choice("political_status", |t| {
                        PoliticalStatus::from_label(t).map(PoliticalStatus::code)
                    }),
                    &["political_status", "政治面貌"][..],
                ),
                (Text("email"), &["email", "邮箱", "电子邮箱"][..]),
                (
                    Choice("education", |t| {
                        Education::from_label(t).map(Education::code)
                    }),
                    &["education", "学历", "文化程度"][..],
                ),
                (
                    Choices("skills", |t| Skill::from_label(t).map(Skill::code)),
                    &["skills", "技能", "专长", "技能特长"][..],
                ),
                (
                    Text("town"),
                    &["town", "镇街", "所属镇街", "镇（街道）"][..],
                ),
                (
                    Text("emergency_contact_name"),
                    &["emergency_contact_name", "紧急联系人"][..],
                ),
                (
                    Text("emergency_contact_phone"),
                    &["emergency_contact_phone", "紧急联系电话", "紧急联系人电话"][..],
                ),
                (
                    Text("guardian_name"),
                    &["guardian_name", "监护人", "监护人姓名"][..],
                ),
                (
                    Text("guardian_mobile"),
                    &["guardian_mobile", "监护人手机号", "监护人电话"][..],
                ),
                (
                    YesNo("guardian_consent"),
                    &["guardian_consent", "监护人同意"][..],
                ),
                (
                    YesNo("privacy_consent"),
                    &["privacy_consent", "同意个人信息处理", "隐私同意"][..],
                ),
            ],
            person,
        ]
        .concat(),
        ImportKind::ServiceRecords => [
            vec![
                (
                    Text("volunteer_id"),
                    &["volunteer_id", "志愿者ID", "志愿者id"][..],
                ),
                (
                    Text("team_id"),
                    &["team_id", "组织ID", "组织id", "队伍ID", "队伍id"][..],
                ),
                (
                    Date("service_date"),
                    &["service_date", "服务日期", "日期"][..],
                ),
                (
                    Whole("minutes"),
                    &[
                        "minutes",
                        "服务时长（分钟）",
                        "服务时长(分钟)",
                        "时长（分钟）",
                        "分钟",
                    ][..],
                ),
                (
                    Hours,
                    &[
                        "hours",
                        "服务时长（小时）",
                        "服务时长(小时)",
                        "时长（小时）",
                        "服务时长",
                        "小时",
                    ][..],
                ),
                (Text("content"), &["content", "服务内容", "内容"][..]),
                (Text("place"), &["place", "服务地点", "地点"][..]),
            ],
            person,
        ]
        .concat(),
    }
}

/// ID types as staff write them: the label, or its short name.
fn id_type_code(text: &str) -> Option<&'static str> {
    let short = match text.trim() {
        "身份证" => Some(IdType::ResidentId),
        "港澳通行证" | "回乡证" => Some(IdType::HkMacaoPermit),
        "台胞证" => Some(IdType::TaiwanPermit),
        _ => None,
    };
    short.or_else(|| IdType::from_label(text)).map(IdType::code)
}

/// A cell, as either format gives it.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Empty,
    Text(String),
    Number(f64),
    Date(NaiveDate),
    Bool(bool),
}

/// Reads the sheet at `path` (CSV by its extension, else a workbook).
pub fn read(path: &Path, kind: ImportKind) -> Result<Sheet, String> {
    let is_csv = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let (headers, lines) = if is_csv {
        read_csv(path)?
    } else {
        read_workbook(path)?
    };
    let known = columns(kind);
    let mut by_position = Vec::new();
    let mut ignored_columns = Vec::new();
    for header in &headers {
        let name = header.trim();
        let column = known
            .iter()
            .find(|(_, names)| names.iter().any(|n| n.eq_ignore_ascii_case(name)))
            .map(|(c, _)| *c);
        if column.is_none() && !name.is_empty() {
            ignored_columns.push(name.to_owned());
        }
        by_position.push(column);
    }
    let rows = lines
        .into_iter()
        .filter(|(_, cells)| cells.iter().any(|c| *c != Cell::Empty))
        .map(|(line, cells)| {
            let mut row = Map::new();
            for (column, cell) in by_position.iter().zip(cells) {
                if let Some(column) = column {
                    put(&mut row, *column, cell);
                }
            }
            // Most sheets have only a 身份证号 column: without a type, an ID number is a
            // resident identity card's.
            if row.contains_key("id_number") && !row.contains_key("id_type") {
                row.insert("id_type".into(), IdType::ResidentId.code().into());
            }
            SheetRow { line, row }
        })
        .collect();
    Ok(Sheet {
        rows,
        ignored_columns,
    })
}

type Lines = (Vec<String>, Vec<(usize, Vec<Cell>)>);

fn read_csv(path: &Path) -> Result<Lines, String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut headers = None;
    let mut lines = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| format!("{}: {e}", path.display()))?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        let cells: Vec<String> = record.iter().map(str::to_owned).collect();
        match &headers {
            None => {
                let mut cells = cells;
                if let Some(first) = cells.first_mut() {
                    *first = first.trim_start_matches('\u{feff}').to_owned();
                }
                headers = Some(cells);
            }
            Some(_) => lines.push((
                line,
                cells
                    .into_iter()
                    .map(|c| {
                        if c.trim().is_empty() {
                            Cell::Empty
                        } else {
                            Cell::Text(c)
                        }
                    })
                    .collect(),
            )),
        }
    }
    Ok((headers.unwrap_or_default(), lines))
}

fn read_workbook(path: &Path) -> Result<Lines, String> {
    let mut workbook = calamine::open_workbook_auto(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let range = workbook
        .worksheet_range_at(0)
        .ok_or_else(|| format!("{} has no sheet", path.display()))?
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let first_line = range.start().map_or(1, |(row, _)| row as usize + 1);
    let mut rows = range.rows();
    let headers = rows
        .next()
        .map(|cells| cells.iter().map(|c| c.to_string()).collect())
        .unwrap_or_default();
    let lines = rows
        .enumerate()
        .map(|(i, cells)| (first_line + 1 + i, cells.iter().map(cell_of).collect()))
        .collect();
    Ok((headers, lines))
}

fn cell_of(data: &Data) -> Cell {
    match data {
        Data::Empty | Data::Error(_) => Cell::Empty,
        Data::String(s) if s.trim().is_empty() => Cell::Empty,
        Data::String(s) => Cell::Text(s.clone()),
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Float(f) => Cell::Number(*f),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(_) | Data::DateTimeIso(_) => data
            .as_date()
            .map_or_else(|| Cell::Text(data.to_string()), Cell::Date),
        Data::DurationIso(s) => Cell::Text(s.clone()),
    }
}

/// Writes `cell` into `row` as `column` expects it.
fn put(row: &mut Map<String, Value>, column: Column, cell: Cell) {
    let text = |cell: &Cell| match cell {
        Cell::Empty => None,
        Cell::Text(s) => Some(s.trim().to_owned()),
        Cell::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => Some(format!("{}", *n as i64)),
        Cell::Number(n) => Some(n.to_string()),
        Cell::Date(d) => Some(d.to_string()),
        Cell::Bool(b) => Some(b.to_string()),
    };
    let Some(written) = text(&cell) else {
        return;
    };
    let (field, value) = match column {
        Column::Text(field) => (field, Value::String(written)),
        Column::Choice(field, code) => (field, Value::String(code_or(code, &written))),
        Column::Choices(field, code) => (
            field,
            Value::Array(
                written
                    .split(['、', ',', '，', ';', '；', '\n'])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| Value::String(code_or(code, s)))
                    .collect(),
            ),
        ),
        Column::Date(field) => (
            field,
            Value::String(match cell {
                Cell::Date(d) => d.to_string(),
                _ => date_of(&written).map_or(written, |d| d.to_string()),
            }),
        ),
        Column::Whole(field) => (field, number_or_text(&cell, &written, 1.0)),
        Column::Hours => ("minutes", number_or_text(&cell, &written, 60.0)),
        Column::YesNo(field) => (
            field,
            match written.to_lowercase().as_str() {
                "是" | "同意" | "true" | "yes" | "y" | "1" => Value::Bool(true),
                "否" | "不同意" | "false" | "no" | "n" | "0" => Value::Bool(false),
                _ => Value::String(written),
            },
        ),
    };
    row.insert(field.to_owned(), value);
}

fn code_or(code: fn(&str) -> Option<&'static str>, written: &str) -> String {
    code(written).map_or_else(|| written.to_owned(), str::to_owned)
}

/// A whole number of units × `scale` (hours → minutes, rounded), else the text as written.
fn number_or_text(cell: &Cell, written: &str, scale: f64) -> Value {
    let number = match cell {
        Cell::Number(n) => Some(*n),
        _ => written.parse::<f64>().ok(),
    };
    match number.map(|n| (n * scale).round()) {
        Some(n) if n.is_finite() && n.abs() < 1e15 => Value::from(n as i64),
        _ => Value::String(written.to_owned()),
    }
}

/// A date as staff write it: 2026-03-01, 2026/3/1, 2026.3.1, 2026年3月1日.
fn date_of(text: &str) -> Option<NaiveDate> {
    ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(text.trim(), f).ok())
}

/// What became of one line of the sheet.
#[derive(Debug)]
pub struct LineOutcome {
    pub line: usize,
    pub outcome: RowOutcome,
}

/// Imports the sheet's rows in batches of [`MAX_ROWS`], each its own transaction, telling
/// `progress` how many rows are done. A batch that fails as a whole (the database) stops the
/// run: the batches before it stay, and running the same sheet again finds them.
pub fn import(
    conn: &mut PooledConn,
    deps: &ImportDeps,
    actor: &Actor,
    kind: ImportKind,
    rows: Vec<SheetRow>,
    mut progress: impl FnMut(usize),
) -> Result<Vec<LineOutcome>, ApiError> {
    let origin = Origin {
        address: None,
        request_id: None,
    };
    let mut outcomes = Vec::with_capacity(rows.len());
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let (lines, batch): (Vec<usize>, Vec<Row>) = rows
            .by_ref()
            .take(MAX_ROWS)
            .map(|r| (r.line, r.row))
            .unzip();
        let done = match kind {
            ImportKind::Volunteers => service::volunteers(conn, deps, actor, &origin, batch)?,
            ImportKind::ServiceRecords => {
                service::service_records(conn, deps, actor, &origin, batch)?
            }
        };
        outcomes.extend(
            lines
                .into_iter()
                .zip(done)
                .map(|(line, outcome)| LineOutcome { line, outcome }),
        );
        progress(outcomes.len());
    }
    Ok(outcomes)
}

/// The per-line report, as CSV in Chinese (UTF-8 with a byte-order mark, as Excel expects):
/// line, result (新建 created / 已存在 already there / 未导入 refused), id, problems.
pub fn write_report(path: &Path, outcomes: Vec<LineOutcome>) -> Result<(), String> {
    let fail = |e: &dyn std::fmt::Display| format!("cannot write {}: {e}", path.display());
    let mut file = std::fs::File::create(path).map_err(|e| fail(&e))?;
    std::io::Write::write_all(&mut file, "\u{feff}".as_bytes()).map_err(|e| fail(&e))?;
    let mut out = csv::Writer::from_writer(file);
    out.write_record(["行号", "结果", "ID", "问题"])
        .map_err(|e| fail(&e))?;
    let lines: Vec<usize> = outcomes.iter().map(|o| o.line).collect();
    let report = ImportResponse::new(outcomes.into_iter().map(|o| o.outcome).collect(), Lang::Zh);
    let mut by_row: BTreeMap<u32, [String; 3]> = BTreeMap::new();
    for a in report.accepted {
        let result = if a.created { "新建" } else { "已存在" };
        by_row.insert(a.row, [result.to_owned(), a.id, String::new()]);
    }
    for r in report.rejected {
        let problems: Vec<String> = r
            .errors
            .iter()
            .map(|e| match &e.field {
                Some(field) => format!("{field}: {}（{}）", e.message, e.code),
                None => format!("{}（{}）", e.message, e.code),
            })
            .collect();
        by_row.insert(
            r.row,
            ["未导入".to_owned(), String::new(), problems.join("；")],
        );
    }
    for (row, [result, id, problems]) in by_row {
        let line = lines.get(row as usize - 1).copied().unwrap_or_default();
        out.write_record([line.to_string(), result, id, problems])
            .map_err(|e| fail(&e))?;
    }
    out.flush().map_err(|e| fail(&e))
}
