//! A campaign's statistics as an XLSX workbook: one sheet per slice (organisations, towns,
//! categories) with typed cells, and a column chart of approved hours by town. Small (one row
//! per organisation), so it is built in memory.

use rust_xlsxwriter::{Chart, ChartType, Format, Workbook, Worksheet, XlsxError};

use super::dto::CampaignStatsResponse;
use crate::error::{ApiError, ApiResult};

const TOWN_SHEET: &str = "按镇街";

fn header(sheet: &mut Worksheet, names: &[&str]) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    for (col, name) in (0u16..).zip(names) {
        sheet.set_column_width(col, 16)?;
        sheet.write_string_with_format(0, col, *name, &bold)?;
    }
    Ok(())
}

/// Activities, volunteers, minutes and hours from column `col` of row `row`.
fn figures(
    sheet: &mut Worksheet,
    row: u32,
    col: u16,
    (activities, volunteers, minutes, hours): (i64, i64, i64, f64),
) -> Result<(), XlsxError> {
    let two_places = Format::new().set_num_format("0.00");
    sheet.write_number(row, col, activities as f64)?;
    sheet.write_number(row, col + 1, volunteers as f64)?;
    sheet.write_number(row, col + 2, minutes as f64)?;
    sheet.write_number_with_format(row, col + 3, hours, &two_places)?;
    Ok(())
}

fn build(stats: &CampaignStatsResponse, theme: &str) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let unknown = "（未指明）";

    let sheet = workbook.add_worksheet().set_name("按组织")?;
    header(
        sheet,
        &[
            "组织",
            "活动数",
            "参与志愿者",
            "服务时长（分钟）",
            "服务时长（小时）",
            "总结报告",
        ],
    )?;
    let mut row = 1;
    for t in &stats.by_team {
        sheet.write_string(row, 0, &t.name)?;
        figures(
            sheet,
            row,
            1,
            (t.activities, t.volunteers, t.minutes, t.hours),
        )?;
        sheet.write_string(row, 5, t.report.labels().0)?;
        row += 1;
    }
    let totals = &stats.totals;
    sheet.write_string_with_format(row, 0, "合计", &Format::new().set_bold())?;
    figures(
        sheet,
        row,
        1,
        (
            totals.activities,
            totals.volunteers,
            totals.minutes,
            totals.hours,
        ),
    )?;

    let sheet = workbook.add_worksheet().set_name(TOWN_SHEET)?;
    header(
        sheet,
        &[
            "镇街",
            "活动数",
            "参与志愿者",
            "服务时长（分钟）",
            "服务时长（小时）",
        ],
    )?;
    for (row, t) in (1u32..).zip(&stats.by_town) {
        sheet.write_string(row, 0, t.town.as_deref().unwrap_or(unknown))?;
        figures(
            sheet,
            row,
            1,
            (t.activities, t.volunteers, t.minutes, t.hours),
        )?;
    }
    if !stats.by_town.is_empty() {
        let last = u32::try_from(stats.by_town.len()).unwrap_or(u32::MAX);
        let mut chart = Chart::new(ChartType::Column);
        chart
            .title()
            .set_name(&format!("{theme}：各镇街服务时长（小时）"));
        chart
            .add_series()
            .set_name("服务时长（小时）")
            .set_categories((TOWN_SHEET, 1, 0, last, 0))
            .set_values((TOWN_SHEET, 1, 4, last, 4));
        chart.legend().set_hidden();
        sheet.insert_chart(1, 6, &chart)?;
    }

    let sheet = workbook.add_worksheet().set_name("按类别")?;
    header(
        sheet,
        &[
            "类别",
            "活动数",
            "参与志愿者",
            "服务时长（分钟）",
            "服务时长（小时）",
        ],
    )?;
    for (row, c) in (1u32..).zip(&stats.by_category) {
        sheet.write_string(row, 0, c.category.labels().0)?;
        figures(
            sheet,
            row,
            1,
            (c.activities, c.volunteers, c.minutes, c.hours),
        )?;
    }
    workbook.save_to_buffer()
}

/// The workbook of a campaign's statistics.
pub fn campaign_workbook(stats: &CampaignStatsResponse, theme: &str) -> ApiResult<Vec<u8>> {
    build(stats, theme).map_err(ApiError::internal)
}
