//! The rules of real-name registration, as one pure function from request to checked input.

use chrono::NaiveDate;
use validator::ValidateEmail;

use super::dto::{ImportVolunteerRow, RegisterRequest};
use super::id_number::{self, ResidentIdError};
use crate::error::{FieldErrors, Msg};
use crate::meta::enums::{Education, Gender, IdType, PoliticalStatus, Skill};
use crate::time::age_on;
use crate::validation::{optional_phone, optional_text, optional_town, required_text};

pub const PASSWORD_MIN: usize = 8;
pub const PASSWORD_MAX: usize = 128;
pub const NAME_MAX: usize = 50;
pub const ADULT_AGE: i32 = 18;

/// A registration that passed every rule, normalised.
#[derive(Debug, Clone)]
pub struct ValidRegistration {
    pub mobile: String,
    pub password: String,
    pub real_name: String,
    pub id_type: IdType,
    pub id_number: String,
    pub gender: Gender,
    pub birth_date: NaiveDate,
    pub political_status: PoliticalStatus,
    pub email: Option<String>,
    pub education: Option<Education>,
    pub skills: Vec<Skill>,
    pub town: Option<String>,
    pub emergency_contact_name: Option<String>,
    pub emergency_contact_phone: Option<String>,
    /// Present for minors: name, mobile.
    pub guardian: Option<(String, String)>,
}

pub fn check_password(errors: &mut FieldErrors, field: &str, password: &str) {
    let n = password.chars().count();
    if !(PASSWORD_MIN..=PASSWORD_MAX).contains(&n) {
        errors.add(
            field,
            "length",
            Msg::new(
                "密码长度须为 8 到 128 个字符",
                "The password must be 8 to 128 characters long",
            ),
        );
    }
}

pub fn check_mobile(errors: &mut FieldErrors, field: &str, mobile: &str) {
    if !id_number::is_mobile(mobile) {
        errors.add(
            field,
            "format",
            Msg::new(
                "手机号须为 11 位中国大陆手机号",
                "The mobile number must be an 11-digit mainland number",
            ),
        );
    }
}

pub fn validate_registration(
    req: RegisterRequest,
    today: NaiveDate,
) -> Result<ValidRegistration, crate::error::ApiError> {
    validate(req, today, true)
}

/// An imported volunteer: every rule of registration but the password, which it has none of
/// (`ValidRegistration::password` is empty).
pub fn validate_import_row(
    row: ImportVolunteerRow,
    today: NaiveDate,
) -> Result<ValidRegistration, crate::error::ApiError> {
    let req = RegisterRequest {
        mobile: row.mobile,
        password: String::new(),
        real_name: row.real_name,
        id_type: row.id_type,
        id_number: row.id_number,
        gender: row.gender,
        birth_date: row.birth_date,
        political_status: row.political_status,
        email: row.email,
        education: row.education,
        skills: row.skills,
        town: row.town,
        emergency_contact_name: row.emergency_contact_name,
        emergency_contact_phone: row.emergency_contact_phone,
        guardian_name: row.guardian_name,
        guardian_mobile: row.guardian_mobile,
        guardian_consent: row.guardian_consent,
        privacy_consent: row.privacy_consent,
    };
    validate(req, today, false)
}

fn validate(
    req: RegisterRequest,
    today: NaiveDate,
    with_password: bool,
) -> Result<ValidRegistration, crate::error::ApiError> {
    let mut errors = FieldErrors::default();
    let mobile = req.mobile.clone();
    check_mobile(&mut errors, "mobile", &mobile);
    if with_password {
        check_password(&mut errors, "password", &req.password);
    }
    let real_name = required_text(&mut errors, "real_name", &req.real_name, NAME_MAX);
    let id_number = id_number::normalize(req.id_type, &req.id_number);

    if req.birth_date > today {
        errors.add(
            "birth_date",
            "in_future",
            Msg::new(
                "出生日期不能晚于今天",
                "The birth date cannot be in the future",
            ),
        );
    }
    match req.id_type {
        IdType::ResidentId => match id_number::parse_resident_id(&id_number, today) {
            Ok(parsed) => {
                if parsed.birth_date != req.birth_date && !errors.has("birth_date") {
                    errors.add(
                        "birth_date",
                        "mismatch",
                        Msg::new(
                            "出生日期与身份证号码不一致",
                            "The birth date does not match the ID number",
                        ),
                    );
                }
                if parsed.gender != req.gender {
                    errors.add(
                        "gender",
                        "mismatch",
                        Msg::new(
                            "性别与身份证号码不一致",
                            "The gender does not match the ID number",
                        ),
                    );
                }
            }
            Err(ResidentIdError::Format) => errors.add(
                "id_number",
                "format",
                Msg::new(
                    "身份证号码须为 18 位（末位可为 X）",
                    "A resident ID has 18 characters (the last may be X)",
                ),
            ),
            Err(ResidentIdError::Checksum) => errors.add(
                "id_number",
                "checksum",
                Msg::new(
                    "身份证号码校验位不正确",
                    "The ID number's check character is wrong",
                ),
            ),
            Err(ResidentIdError::BirthDate) => errors.add(
                "id_number",
                "birth_date",
                Msg::new(
                    "身份证号码中的出生日期无效",
                    "The ID number holds an invalid birth date",
                ),
            ),
        },
        other => {
            if !id_number::other_document_is_well_formed(other, &id_number) {
                errors.add(
                    "id_number",
                    "format",
                    Msg::new("证件号码格式不正确", "The document number is malformed"),
                );
            }
        }
    }

    let email = optional_text(&mut errors, "email", req.email, 254);
    if email.as_deref().is_some_and(|e| !e.validate_email()) {
        errors.add(
            "email",
            "format",
            Msg::new("邮箱格式不正确", "The email address is malformed"),
        );
    }
    let town = optional_town(&mut errors, "town", req.town);
    let mut skills = req.skills;
    skills.sort_by_key(|s| s.code());
    skills.dedup();
    let emergency_contact_name = optional_text(
        &mut errors,
        "emergency_contact_name",
        req.emergency_contact_name,
        NAME_MAX,
    );
    let emergency_contact_phone = optional_phone(
        &mut errors,
        "emergency_contact_phone",
        req.emergency_contact_phone,
    );

    let guardian_name = optional_text(&mut errors, "guardian_name", req.guardian_name, NAME_MAX);
    let guardian_mobile = req
        .guardian_mobile
        .map(|m| m.trim().to_owned())
        .filter(|m| !m.is_empty());
    let minor = age_on(req.birth_date, today) < ADULT_AGE;
    let guardian = if minor {
        if guardian_name.is_none() {
            errors.add(
                "guardian_name",
                "required_for_minor",
                Msg::new(
                    "未满 18 周岁须填写监护人姓名",
                    "Volunteers under 18 must name a guardian",
                ),
            );
        }
        match &guardian_mobile {
            None => errors.add(
                "guardian_mobile",
                "required_for_minor",
                Msg::new(
                    "未满 18 周岁须填写监护人手机号",
                    "Volunteers under 18 must give a guardian's mobile",
                ),
            ),
            Some(m) => check_mobile(&mut errors, "guardian_mobile", m),
        }
        if req.guardian_consent != Some(true) {
            errors.add(
                "guardian_consent",
                "required_for_minor",
                Msg::new(
                    "未满 18 周岁须经监护人同意",
                    "Volunteers under 18 need their guardian's consent",
                ),
            );
        }
        guardian_name.zip(guardian_mobile)
    } else {
        None
    };
    if req.privacy_consent == Some(false) {
        errors.add(
            "privacy_consent",
            "required",
            Msg::new(
                "须同意个人信息处理规则才能注册",
                "Registration requires consent to the privacy notice",
            ),
        );
    }
    errors.into_result()?;
    Ok(ValidRegistration {
        mobile,
        password: req.password,
        real_name,
        id_type: req.id_type,
        id_number,
        gender: req.gender,
        birth_date: req.birth_date,
        political_status: req.political_status,
        email,
        education: req.education,
        skills,
        town,
        emergency_contact_name,
        emergency_contact_phone,
        guardian,
    })
}
