//! What a certificate says: the Open Badges 3.0 credential (before signing) and the card a
//! person looks at. Pure functions of the facts; no database, no keys.

use chrono::NaiveDateTime;
use serde_json::{Value, json};

use crate::issuer::Signer;
use crate::issuer::service::xsd_date_time;
use crate::svg::{Anchor, Svg};
use crate::time::local_date;
use crate::volunteers::model::Holder;

/// Everything a certificate states.
pub struct CertificateFacts<'a> {
    pub id: &'a str,
    pub number: &'a str,
    pub issued_at: NaiveDateTime,
    pub holder: &'a Holder,
    pub holder_name_masked: &'a str,
    pub team_id: &'a str,
    pub team_name: &'a str,
    pub signer: &'a Signer,
}

/// The unsigned credential (api.md "Certificates and proofs"). Holds no floating-point number
/// and no integer at all, so its canonical form is the same in every JCS implementation.
pub fn credential(f: &CertificateFacts) -> Value {
    json!({
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
        ],
        "id": format!("urn:uuid:{}", f.id),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": f.signer.issuer_id(), "type": ["Profile"], "name": f.signer.issuer_name()},
        "validFrom": xsd_date_time(f.issued_at),
        "name": "电子志愿者证",
        "credentialSubject": {
            "id": format!("urn:uuid:{}", f.holder.id),
            "type": ["AchievementSubject"],
            "name": f.holder_name_masked,
            "volunteer_number": f.holder.volunteer_number,
            "certificate_number": f.number,
            "achievement": {
                "id": format!("{}/api/v1/teams/{}#volunteer-certificate", f.signer.public_base_url(), f.team_id),
                "type": ["Achievement"],
                "achievementType": "CommunityService",
                "name": format!("{} 电子志愿者证", f.team_name),
                "description": format!("{} 为其注册志愿者颁发的电子志愿者证。", f.team_name),
                "criteria": {
                    "narrative": format!(
                        "经 {} 审核通过的注册志愿者（《志愿服务条例》；民政部令第67号）。",
                        f.team_name
                    )
                },
                "creator": {
                    "id": format!("urn:uuid:{}", f.team_id),
                    "type": ["Profile"],
                    "name": f.team_name
                }
            }
        }
    })
}

/// The card: name, volunteer number, organisation, issue date, star level, number, and a QR
/// code of the verify address; a revoked certificate is stamped so.
pub fn card_svg(f: &CertificateFacts, revoked: bool) -> String {
    let mut svg = Svg::new(
        856.0,
        540.0,
        "856",
        "540",
        &format!("电子志愿者证 {}", f.number),
    );
    svg.rect(0.0, 0.0, 856.0, 540.0, "#fffdf7", Some("#c0392b"));
    svg.rect(0.0, 0.0, 856.0, 96.0, "#c0392b", None);
    svg.text(40.0, 58.0, 36.0, Anchor::Start, true, "电子志愿者证");
    svg.text(
        816.0,
        46.0,
        18.0,
        Anchor::End,
        false,
        "Volunteer Certificate",
    );
    svg.text(
        816.0,
        74.0,
        16.0,
        Anchor::End,
        false,
        f.signer.issuer_name(),
    );
    let rows = [
        ("姓名 Name", f.holder.real_name.clone()),
        ("志愿者编号 No.", f.holder.volunteer_number.clone()),
        ("发证组织 Issuer", f.team_name.to_owned()),
        ("星级 Stars", stars(f.holder.star_level)),
        (
            "发证日期 Issued",
            local_date(f.issued_at).format("%Y-%m-%d").to_string(),
        ),
        ("证书编号 Certificate", f.number.to_owned()),
    ];
    for (i, (label, value)) in rows.iter().enumerate() {
        let y = 150.0 + i as f32 * 58.0;
        svg.text(40.0, y, 16.0, Anchor::Start, false, label);
        svg.text(40.0, y + 26.0, 24.0, Anchor::Start, true, value);
    }
    svg.qr(
        596.0,
        150.0,
        220.0,
        &f.signer.verify_address("certificates", f.number),
    );
    svg.text(
        706.0,
        396.0,
        14.0,
        Anchor::Middle,
        false,
        "扫码核验 Scan to verify",
    );
    if revoked {
        svg.text(706.0, 460.0, 40.0, Anchor::Middle, true, "已撤销 REVOKED");
    }
    svg.finish()
}

fn stars(level: i32) -> String {
    let level = level.clamp(0, 5) as usize;
    format!("{}{} ({level}/5)", "★".repeat(level), "☆".repeat(5 - level))
}
