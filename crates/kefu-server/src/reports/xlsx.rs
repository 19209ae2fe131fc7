//! The XLSX export of a report table: the CSV's columns and values in a workbook whose header
//! row is styled and frozen, counts and seconds are numbers, rates are percentages, and the
//! sheets are named in the tenant's language; a second sheet states the report's parameters.

use super::table::{Cell, Table};
use rust_xlsxwriter::{Color, Format, Workbook, Worksheet, XlsxError};

/// Sheet names and labels in one language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Labels {
    pub data_sheet: &'static str,
    pub about_sheet: &'static str,
    pub parameter: &'static str,
    pub value: &'static str,
}

/// The labels of a report kind in a tenant's locale (`zh…` is Chinese, anything else English).
pub fn labels(kind: SheetKind, locale: &str) -> Labels {
    let zh = locale.starts_with("zh");
    let data_sheet = match (kind, zh) {
        (SheetKind::Metrics, true) => "指标",
        (SheetKind::Metrics, false) => "Metrics",
        (SheetKind::Scorecards, true) => "坐席绩效",
        (SheetKind::Scorecards, false) => "Scorecards",
    };
    Labels {
        data_sheet,
        about_sheet: if zh { "说明" } else { "About" },
        parameter: if zh { "参数" } else { "Parameter" },
        value: if zh { "值" } else { "Value" },
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SheetKind {
    Metrics,
    Scorecards,
}

/// The workbook's bytes. `about` lists the report's parameters (window, zone, service-level
/// definition…) as name/value pairs for the second sheet.
pub fn write(
    table: &Table,
    labels: Labels,
    about: &[(String, String)],
) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let header = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xDDE7F3))
        .set_text_wrap();
    let count = Format::new().set_num_format("0");
    let secs = Format::new().set_num_format("0.000");
    let percent = Format::new().set_num_format("0.00%");
    let sheet = workbook.add_worksheet();
    sheet.set_name(labels.data_sheet)?;
    write_header(sheet, &table.headers, &header)?;
    for (index, row) in table.rows.iter().enumerate() {
        let r = u32::try_from(index + 1).map_err(|_| XlsxError::RowColumnLimitError)?;
        for (c, cell) in row.iter().enumerate() {
            let c = u16::try_from(c).map_err(|_| XlsxError::RowColumnLimitError)?;
            match cell {
                // Written as a string cell, so a name such as `=cmd()` is never a formula.
                Cell::Text(text) => sheet.write_string(r, c, text.as_str()).map(drop)?,
                Cell::Count(n) => sheet
                    .write_number_with_format(r, c, *n as f64, &count)
                    .map(drop)?,
                Cell::Secs(Some(v)) => sheet.write_number_with_format(r, c, *v, &secs).map(drop)?,
                Cell::Rate(Some(v)) => sheet
                    .write_number_with_format(r, c, *v, &percent)
                    .map(drop)?,
                Cell::Secs(None) | Cell::Rate(None) => {}
            }
        }
    }
    if let Some(last) = table.headers.len().checked_sub(1) {
        let last = u16::try_from(last).map_err(|_| XlsxError::RowColumnLimitError)?;
        let rows = u32::try_from(table.rows.len()).map_err(|_| XlsxError::RowColumnLimitError)?;
        sheet.autofilter(0, 0, rows, last)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    let about_sheet = workbook.add_worksheet();
    about_sheet.set_name(labels.about_sheet)?;
    write_header(
        about_sheet,
        &[labels.parameter.to_owned(), labels.value.to_owned()],
        &header,
    )?;
    for (index, (name, value)) in about.iter().enumerate() {
        let r = u32::try_from(index + 1).map_err(|_| XlsxError::RowColumnLimitError)?;
        about_sheet.write_string(r, 0, name.as_str())?;
        about_sheet.write_string(r, 1, value.as_str())?;
    }
    about_sheet.set_column_width(0, 28)?;
    about_sheet.set_column_width(1, 60)?;
    workbook.save_to_buffer()
}

fn write_header(
    sheet: &mut Worksheet,
    headers: &[String],
    format: &Format,
) -> Result<(), XlsxError> {
    for (c, text) in headers.iter().enumerate() {
        let c = u16::try_from(c).map_err(|_| XlsxError::RowColumnLimitError)?;
        sheet.write_string_with_format(0, c, text.as_str(), format)?;
        // Wide enough for the header's words, bounded so the SL header does not take a screen.
        let width = (text.chars().count() as f64 * 1.1).clamp(10.0, 40.0);
        sheet.set_column_width(c, width)?;
    }
    Ok(())
}
