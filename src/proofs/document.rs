//! What a service-record proof says: the credential (before signing) and the A4 page a person
//! reads. Pure functions of the facts; no database, no keys.

use chrono::{NaiveDate, NaiveDateTime};
use serde_json::{Value, json};

use crate::issuer::Signer;
use crate::issuer::service::xsd_date_time;
use crate::meta::enums::CommendationLevel;
use crate::svg::{Anchor, Svg};
use crate::teams::model::Team;
use crate::time::local_date;
use crate::volunteers::model::Holder;

/// One record as a proof states it.
pub struct ProvedRecord {
    pub id: String,
    /// The activity's title, when the record came from one.
    pub activity: Option<String>,
    pub service_date: NaiveDate,
    pub place: Option<String>,
    pub content: String,
    pub minutes: i32,
}

/// A commendation as a proof states it (评价情况): only ones not withdrawn.
pub struct ProvedCommendation {
    pub title: String,
    pub level: CommendationLevel,
    pub awarded_on: NaiveDate,
}

/// A training as a proof states it (培训情况): the organisation's, in the period.
pub struct ProvedTraining {
    pub title: String,
    pub date: NaiveDate,
    pub minutes: i32,
}

/// Everything a proof states.
pub struct ProofFacts<'a> {
    pub id: &'a str,
    pub number: &'a str,
    pub issued_at: NaiveDateTime,
    pub holder: &'a Holder,
    pub holder_name_masked: &'a str,
    pub team: &'a Team,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub records: &'a [ProvedRecord],
    pub total_minutes: i64,
    pub commendations: &'a [ProvedCommendation],
    pub trainings: &'a [ProvedTraining],
    pub signer: &'a Signer,
}

/// Minutes as a decimal string of hours, to two places, without trailing zeros ("1.5",
/// "1.67", "2"): signed content holds no floating-point numbers.
pub fn hours_text(minutes: i64) -> String {
    let hundredths = (minutes * 100 + 30) / 60;
    let text = format!("{}.{:02}", hundredths / 100, hundredths % 100);
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// The unsigned credential (api.md "Certificates and proofs").
pub fn credential(f: &ProofFacts) -> Value {
    let records: Vec<Value> = f
        .records
        .iter()
        .map(|r| {
            json!({
                "id": format!("urn:uuid:{}", r.id),
                "activity": r.activity,
                "service_date": r.service_date.to_string(),
                "place": r.place,
                "content": r.content,
                "minutes": r.minutes,
            })
        })
        .collect();
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": format!("urn:uuid:{}", f.id),
        "type": ["VerifiableCredential", "VolunteerServiceRecordProof"],
        "issuer": {"id": f.signer.issuer_id(), "type": ["Profile"], "name": f.signer.issuer_name()},
        "validFrom": xsd_date_time(f.issued_at),
        "name": "志愿服务记录证明",
        "credentialSubject": {
            "id": format!("urn:uuid:{}", f.holder.id),
            "volunteer": {
                "name": f.holder_name_masked,
                "id_type": f.holder.id_type.code(),
                "id_number": f.holder.id_number_masked,
                "volunteer_number": f.holder.volunteer_number,
            },
            "issuing_organisation": {
                "id": format!("urn:uuid:{}", f.team.id),
                "name": f.team.name,
                "person_in_charge": f.team.contact_name,
                "contact": f.team.contact_phone,
            },
            "period": {"from": f.from.to_string(), "to": f.to.to_string()},
            "records": records,
            "total_minutes": f.total_minutes,
            "total_hours": hours_text(f.total_minutes),
            "trainings": f
                .trainings
                .iter()
                .map(|t| json!({"title": t.title, "date": t.date.to_string(), "minutes": t.minutes}))
                .collect::<Vec<Value>>(),
            "commendations": f
                .commendations
                .iter()
                .map(|c| json!({"title": c.title, "level": c.level.code(), "awarded_on": c.awarded_on.to_string()}))
                .collect::<Vec<Value>>(),
            "number": f.number,
            "date": local_date(f.issued_at).to_string(),
        }
    })
}

const PAGE_HEIGHT: f32 = 297.0;
const ROW: f32 = 7.0;
/// Where the table's first row sits on the first page, and on later ones.
const FIRST_ROW_Y: f32 = 112.0;
const LATER_ROW_Y: f32 = 30.0;
const LAST_ROW_Y: f32 = 250.0;

/// At most `max` characters, with an ellipsis when cut (the credential has the full text).
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        text.chars()
            .take(max - 1)
            .chain(std::iter::once('…'))
            .collect()
    }
}

/// The proof as A4 pages (210 × 297 mm, stacked when the records need more than one): the
/// statement, a table of the records, the total, the issuer, number, date and a QR code of the
/// verify address.
pub fn document_svg(f: &ProofFacts) -> String {
    // Lay the rows out first: the page count sets the picture's height.
    let mut rows_y = Vec::with_capacity(f.records.len());
    let (mut page, mut y) = (0usize, FIRST_ROW_Y);
    for _ in f.records {
        if y > LAST_ROW_Y {
            page += 1;
            y = LATER_ROW_Y;
        }
        rows_y.push(page as f32 * PAGE_HEIGHT + y);
        y += ROW;
    }
    let footer_y = page as f32 * PAGE_HEIGHT + y + 6.0;
    let pages = if footer_y + 60.0 > (page + 1) as f32 * PAGE_HEIGHT {
        page + 2
    } else {
        page + 1
    };
    let footer_y = if pages > page + 1 {
        page as f32 * PAGE_HEIGHT + PAGE_HEIGHT + LATER_ROW_Y
    } else {
        footer_y
    };
    let height = pages as f32 * PAGE_HEIGHT;
    let mut svg = Svg::new(
        210.0,
        height,
        "210mm",
        &format!("{height}mm"),
        &format!("志愿服务记录证明 {}", f.number),
    );
    svg.rect(0.0, 0.0, 210.0, height, "#ffffff", None);
    for p in 1..pages {
        let y = p as f32 * PAGE_HEIGHT;
        svg.line(0.0, y, 210.0, y, "#cccccc", 0.3);
    }
    svg.text(105.0, 28.0, 9.0, Anchor::Middle, true, "志愿服务记录证明");
    svg.text(
        190.0,
        38.0,
        3.5,
        Anchor::End,
        false,
        &format!("编号 No. {}", f.number),
    );
    let holder = f.holder;
    let (id_type, _) = holder.id_type.labels();
    let statement = [
        format!(
            "兹证明 {}（{}：{}，志愿者编号 {}）",
            holder.real_name, id_type, holder.id_number_masked, holder.volunteer_number
        ),
        format!(
            "于 {} 至 {} 期间在 {} 参加志愿服务，经本组织记录的志愿服务如下：",
            f.from, f.to, f.team.name
        ),
    ];
    for (i, line) in statement.iter().enumerate() {
        svg.text(20.0, 52.0 + i as f32 * 8.0, 4.2, Anchor::Start, false, line);
    }
    let columns: [(f32, &str); 5] = [
        (20.0, "日期"),
        (45.0, "活动"),
        (92.0, "地点"),
        (125.0, "服务内容"),
        (190.0, "时长（小时）"),
    ];
    let header_y = FIRST_ROW_Y - ROW;
    svg.line(20.0, header_y - 5.0, 190.0, header_y - 5.0, "#1a1a1a", 0.4);
    for (x, title) in columns {
        let anchor = if x >= 190.0 {
            Anchor::End
        } else {
            Anchor::Start
        };
        svg.text(x, header_y, 3.6, anchor, true, title);
    }
    svg.line(20.0, header_y + 2.0, 190.0, header_y + 2.0, "#1a1a1a", 0.3);
    for (record, y) in f.records.iter().zip(&rows_y) {
        let y = *y;
        svg.text(
            20.0,
            y,
            3.4,
            Anchor::Start,
            false,
            &record.service_date.to_string(),
        );
        svg.text(
            45.0,
            y,
            3.4,
            Anchor::Start,
            false,
            &clip(record.activity.as_deref().unwrap_or("—"), 14),
        );
        svg.text(
            92.0,
            y,
            3.4,
            Anchor::Start,
            false,
            &clip(record.place.as_deref().unwrap_or("—"), 10),
        );
        svg.text(
            125.0,
            y,
            3.4,
            Anchor::Start,
            false,
            &clip(&record.content, 16),
        );
        svg.text(
            190.0,
            y,
            3.4,
            Anchor::End,
            false,
            &hours_text(i64::from(record.minutes)),
        );
    }
    let y = footer_y;
    svg.line(20.0, y - 4.0, 190.0, y - 4.0, "#1a1a1a", 0.3);
    svg.text(
        20.0,
        y + 2.0,
        4.2,
        Anchor::Start,
        true,
        &format!(
            "合计 {} 条记录，{} 小时（{} 分钟）",
            f.records.len(),
            hours_text(f.total_minutes),
            f.total_minutes
        ),
    );
    if !f.trainings.is_empty() {
        let minutes: i64 = f.trainings.iter().map(|t| i64::from(t.minutes)).sum();
        svg.text(
            110.0,
            y + 2.0,
            3.6,
            Anchor::Start,
            false,
            &format!(
                "另参加培训 {} 次，{} 小时（不计入服务时数）",
                f.trainings.len(),
                hours_text(minutes)
            ),
        );
    }
    if !f.commendations.is_empty() {
        let listed: Vec<String> = f
            .commendations
            .iter()
            .map(|c| format!("{}（{}，{}）", c.title, c.level.labels().0, c.awarded_on))
            .collect();
        svg.text(
            20.0,
            y + 8.5,
            3.4,
            Anchor::Start,
            false,
            &clip(&format!("评价情况：{}", listed.join("；")), 60),
        );
    }
    let issuer_lines = [
        format!("出具组织：{}", f.team.name),
        format!("负责人：{}", f.team.contact_name.as_deref().unwrap_or("—")),
        format!(
            "联系方式：{}",
            f.team.contact_phone.as_deref().unwrap_or("—")
        ),
        format!("出具日期：{}", local_date(f.issued_at)),
        "本证明经电子签名，可扫码或访问核验地址核验。".to_owned(),
    ];
    for (i, line) in issuer_lines.iter().enumerate() {
        svg.text(
            20.0,
            y + 14.0 + i as f32 * 7.0,
            3.8,
            Anchor::Start,
            false,
            line,
        );
    }
    svg.qr(
        150.0,
        y + 8.0,
        40.0,
        &f.signer.verify_address("proofs", f.number),
    );
    svg.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_are_decimal_strings() {
        assert_eq!(hours_text(90), "1.5");
        assert_eq!(hours_text(100), "1.67");
        assert_eq!(hours_text(120), "2");
        assert_eq!(hours_text(1), "0.02");
        assert_eq!(hours_text(0), "0");
    }
}
