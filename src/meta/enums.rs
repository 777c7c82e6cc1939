//! Every enum the API speaks, with its zh-CN and English labels. Each is stored as its code
//! (TEXT) and listed by `GET /api/v1/meta/enums`.

use serde::Serialize;
use utoipa::ToSchema;

/// Declares an enum whose serde form is its snake_case code, with labels for the meta endpoint.
///
/// Its OpenAPI schema is written here from the same codes (not derived): a derive inside a
/// macro cannot see the serde renames and would list the Rust variant names instead.
macro_rules! labelled_enum {
    ($(#[doc = $doc:literal])* $name:ident, $key:literal { $($variant:ident = $code:literal, $zh:literal, $en:literal;)+ }) => {
        $(#[doc = $doc])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
            diesel::expression::AsExpression, diesel::deserialize::FromSqlRow,
        )]
        #[diesel(sql_type = diesel::sql_types::Text)]
        pub enum $name {
            $(#[serde(rename = $code)] $variant,)+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The key under which `/meta/enums` lists this enum.
            pub const KEY: &'static str = $key;

            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            pub fn from_code(code: &str) -> Option<$name> {
                match code { $($code => Some($name::$variant),)+ _ => None }
            }

            pub fn labels(self) -> (&'static str, &'static str) {
                match self { $($name::$variant => ($zh, $en)),+ }
            }

            /// The value a person wrote: its code, or its Chinese or English label.
            pub fn from_label(text: &str) -> Option<$name> {
                let text = text.trim();
                $name::ALL.iter().copied().find(|v| {
                    let (zh, en) = v.labels();
                    v.code() == text || zh == text || en.eq_ignore_ascii_case(text)
                })
            }

            pub fn describe() -> EnumDescription {
                EnumDescription {
                    name: $key,
                    values: Self::ALL
                        .iter()
                        .map(|v| {
                            let (zh, en) = v.labels();
                            EnumValue { code: v.code(), zh_cn: zh, en }
                        })
                        .collect(),
                }
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                code_schema(concat!($($doc),*).trim(), $key, Self::ALL.iter().map(|v| v.code()))
            }
        }

        impl utoipa::ToSchema for $name {}

        impl Coded for $name {
            const KEY: &'static str = $key;
            fn code(self) -> &'static str {
                $name::code(self)
            }
            fn from_code(code: &str) -> Option<Self> {
                $name::from_code(code)
            }
        }

        /// Stored as its code (TEXT). A code the enum does not know is an error, never a
        /// default: the row is wrong, and the request that read it fails loudly.
        impl<DB> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for $name
        where
            DB: diesel::backend::Backend,
            String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                <Self as Coded>::stored(&String::from_sql(bytes)?)
            }
        }

        impl<DB> diesel::serialize::ToSql<diesel::sql_types::Text, DB> for $name
        where
            DB: diesel::backend::Backend,
            str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
        {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, DB>,
            ) -> diesel::serialize::Result {
                self.code().to_sql(out)
            }
        }
    };
}

/// What every labelled enum is: a closed set of codes.
pub trait Coded: Copy + Eq + std::fmt::Debug + Sized + 'static {
    const KEY: &'static str;
    fn code(self) -> &'static str;
    fn from_code(code: &str) -> Option<Self>;

    /// A code read from the database: one the enum does not know is an error.
    fn stored(code: &str) -> diesel::deserialize::Result<Self> {
        Self::from_code(code)
            .ok_or_else(|| format!("unknown {} code {code:?} in the database", Self::KEY).into())
    }
}

/// Codes of a labelled enum kept in one TEXT column as a JSON array (skills, service targets,
/// campaign categories). Like a single enum column, reading fails on a code the enum does not
/// know, rather than dropping it.
#[derive(
    Debug, Clone, PartialEq, Eq, diesel::expression::AsExpression, diesel::deserialize::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub struct Codes<E: Coded> {
    items: Vec<E>,
    /// The stored form, kept beside the items so writing can lend it.
    json: String,
}

impl<E: Coded> Codes<E> {
    #[allow(clippy::expect_used, reason = "a list of strings serialises")]
    pub fn new(items: impl IntoIterator<Item = E>) -> Self {
        let items: Vec<E> = items.into_iter().collect();
        let codes: Vec<&str> = items.iter().map(|e| e.code()).collect();
        let json = serde_json::to_string(&codes).expect("a list of strings serializes");
        Codes { items, json }
    }

    /// The distinct items, ordered by code (how lists a client sends are stored).
    pub fn set(items: impl IntoIterator<Item = E>) -> Self {
        let mut items: Vec<E> = items.into_iter().collect();
        items.sort_by_key(|e| e.code());
        items.dedup();
        Codes::new(items)
    }

    pub fn as_slice(&self) -> &[E] {
        &self.items
    }

    pub fn into_vec(self) -> Vec<E> {
        self.items
    }
}

impl<E: Coded, DB> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for Codes<E>
where
    DB: diesel::backend::Backend,
    String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
        let json = String::from_sql(bytes)?;
        let codes: Vec<String> = serde_json::from_str(&json)?;
        let items = codes
            .iter()
            .map(|code| E::stored(code))
            .collect::<diesel::deserialize::Result<Vec<E>>>()?;
        Ok(Codes { items, json })
    }
}

impl<E: Coded, DB> diesel::serialize::ToSql<diesel::sql_types::Text, DB> for Codes<E>
where
    DB: diesel::backend::Backend,
    str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
{
    fn to_sql<'b>(
        &'b self,
        out: &mut diesel::serialize::Output<'b, '_, DB>,
    ) -> diesel::serialize::Result {
        self.json.as_str().to_sql(out)
    }
}

labelled_enum!(
    /// 账号状态 (internal: the API does not list it)
    AccountStatus, "account_status" {
        Active = "active", "正常", "Active";
        Disabled = "disabled", "已停用", "Disabled";
    }
);

/// The schema of a labelled enum: a string that is one of its codes.
fn code_schema(
    title: &str,
    key: &str,
    codes: impl Iterator<Item = &'static str>,
) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(format!(
            "{title}: one of the codes `/api/v1/meta/enums` lists under `{key}`, with labels."
        )))
        .enum_values(Some(codes))
        .into()
}

labelled_enum!(
    /// 性别
    Gender, "gender" {
        Male = "male", "男", "Male";
        Female = "female", "女", "Female";
    }
);

labelled_enum!(
    /// 证件类型
    IdType, "id_type" {
        ResidentId = "resident_id", "居民身份证", "Resident identity card";
        HkMacaoPermit = "hk_macao_permit", "港澳居民来往内地通行证", "Mainland travel permit for Hong Kong and Macao residents";
        TaiwanPermit = "taiwan_permit", "台湾居民来往大陆通行证", "Mainland travel permit for Taiwan residents";
        Passport = "passport", "护照", "Passport";
    }
);

labelled_enum!(
    /// 政治面貌
    PoliticalStatus, "political_status" {
        CpcMember = "cpc_member", "中共党员", "CPC member";
        CpcProbationary = "cpc_probationary", "中共预备党员", "CPC probationary member";
        CylMember = "cyl_member", "共青团员", "CYL member";
        Masses = "masses", "群众", "Ordinary citizen";
        Other = "other", "其他", "Other";
    }
);

labelled_enum!(
    /// 学历
    Education, "education" {
        Primary = "primary", "小学", "Primary school";
        JuniorHigh = "junior_high", "初中", "Junior high school";
        SeniorHigh = "senior_high", "高中", "Senior high school";
        Vocational = "vocational", "中专/职高", "Vocational school";
        Associate = "associate", "大专", "Associate degree";
        Bachelor = "bachelor", "本科", "Bachelor's degree";
        Master = "master", "硕士", "Master's degree";
        Doctorate = "doctorate", "博士", "Doctorate";
    }
);

labelled_enum!(
    /// 技能标签
    Skill, "skill" {
        Medical = "medical", "医疗护理", "Medical care";
        FirstAid = "first_aid", "急救", "First aid";
        Psychology = "psychology", "心理辅导", "Psychological counselling";
        Teaching = "teaching", "教育辅导", "Teaching";
        Legal = "legal", "法律咨询", "Legal advice";
        Translation = "translation", "翻译", "Translation";
        SignLanguage = "sign_language", "手语", "Sign language";
        Driving = "driving", "驾驶", "Driving";
        Photography = "photography", "摄影摄像", "Photography";
        It = "it", "信息技术", "IT";
        Writing = "writing", "文字宣传", "Writing and publicity";
        ArtPerformance = "art_performance", "文艺表演", "Arts and performance";
        ElderlyCare = "elderly_care", "助老服务", "Elderly care";
        ChildCare = "child_care", "儿童关爱", "Child care";
        Cantonese = "cantonese", "粤语/台山话", "Cantonese / Taishanese";
        Other = "other", "其他", "Other";
    }
);

labelled_enum!(
    /// 角色
    Role, "role" {
        Volunteer = "volunteer", "志愿者", "Volunteer";
        TeamAdmin = "team_admin", "队伍管理员", "Team administrator";
        FederationAdmin = "federation_admin", "义工联管理员", "Federation administrator";
        Platform = "platform", "平台客户端", "Platform client";
    }
);

labelled_enum!(
    /// Webhook 事件类型 (what a webhook subscription may listen to)
    WebhookEvent, "webhook_event" {
        VolunteerRegistered = "volunteer.registered", "志愿者注册", "A volunteer registered (or was imported)";
        MembershipApproved = "membership.approved", "入队审核通过", "A volunteer became an approved member of an organisation";
        ActivityPublished = "activity.published", "活动发布", "An activity was published";
        SignupConfirmed = "signup.confirmed", "报名确认", "A sign-up was confirmed";
        ServiceRecordApproved = "service_record.approved", "时数审核通过", "A service record was approved";
        CertificateIssued = "certificate.issued", "证书签发", "A certificate was issued";
        CertificateRevoked = "certificate.revoked", "证书撤销", "A certificate was revoked";
        ProjectApplicationStatusChanged = "project_application.status_changed", "项目申报状态变更", "A project application changed status";
        CampaignReportFiled = "campaign_report.filed", "主题活动报送", "A campaign report was filed";
    }
);

labelled_enum!(
    /// Webhook 投递状态
    DeliveryStatus, "delivery_status" {
        Pending = "pending", "待投递", "Waiting for its next attempt";
        Delivered = "delivered", "已送达", "Delivered (the receiver answered 2xx)";
        Failed = "failed", "已放弃", "Given up (retries exhausted, or the receiver is gone)";
    }
);

labelled_enum!(
    /// 平台客户端权限 (what a platform client's tokens may do)
    ClientScope, "client_scope" {
        SyncRead = "sync:read", "同步读取", "Read the sync feeds";
        ImportWrite = "import:write", "批量导入", "Import volunteers and service records";
    }
);

labelled_enum!(
    /// 组织类型
    TeamKind, "team_kind" {
        Federation = "federation", "义工联", "Federation";
        Town = "town", "镇（街道）", "Town or subdistrict";
        Unit = "unit", "单位", "Unit (agency, park, school, enterprise)";
        ServiceTeam = "service_team", "志愿服务队", "Volunteer service team";
    }
);

labelled_enum!(
    /// 成员状态
    MembershipStatus, "membership_status" {
        Pending = "pending", "待审核", "Pending";
        Approved = "approved", "已加入", "Approved";
        Rejected = "rejected", "已拒绝", "Rejected";
        Removed = "removed", "已移出", "Removed";
        Left = "left", "已退出", "Left";
    }
);

labelled_enum!(
    /// 服务记录状态
    RecordStatus, "service_record_status" {
        Pending = "pending", "待审核", "Pending";
        Approved = "approved", "已通过", "Approved";
        Rejected = "rejected", "已驳回", "Rejected";
    }
);

labelled_enum!(
    /// 服务记录来源
    RecordSource, "service_record_source" {
        Checkin = "checkin", "签到签退", "Check-in and check-out";
        Manual = "manual", "手工登记", "Recorded by an admin";
        Import = "import", "批量导入", "Imported";
    }
);

labelled_enum!(
    /// 更正申请状态
    CorrectionStatus, "correction_request_status" {
        Pending = "pending", "待处理", "Pending";
        Accepted = "accepted", "已更正", "Accepted";
        Rejected = "rejected", "已驳回", "Rejected";
    }
);

labelled_enum!(
    /// 活动类别（见通知）
    ActivityCategory, "activity_category" {
        MedicalSupport = "medical_support", "关爱医护", "Support for medical staff";
        OnlineCivility = "online_civility", "网络文明创作", "Online civility";
        ResumptionSupport = "resumption_support", "复工复产复学", "Return to work and school";
        CommunityService = "community_service", "文明城市与社区防控", "Community service and prevention";
        PovertyRelief = "poverty_relief", "扶贫帮困", "Poverty relief";
        Publicity = "publicity", "防疫宣传", "Public health publicity";
        Training = "training", "培训", "Training";
        Other = "other", "其他", "Other";
    }
);

labelled_enum!(
    /// 服务对象
    ServiceTarget, "service_target" {
        MedicalStaff = "medical_staff", "医护人员", "Medical staff";
        ElderlyAlone = "elderly_alone", "独居老人", "Elderly living alone";
        Disabled = "disabled", "残障人士", "People with disabilities";
        LeftBehindChildren = "left_behind_children", "留守儿童", "Left-behind children";
        LowIncomeFamilies = "low_income_families", "困难家庭", "Low-income families";
        QuarantinedResidents = "quarantined_residents", "隔离居民", "Quarantined residents";
        Enterprises = "enterprises", "企业", "Enterprises";
        Schools = "schools", "学校", "Schools";
        GeneralPublic = "general_public", "社会公众", "General public";
    }
);

labelled_enum!(
    /// 活动状态
    ActivityStatus, "activity_status" {
        Draft = "draft", "草稿", "Draft";
        Published = "published", "已发布", "Published";
        Completed = "completed", "已结束", "Completed";
        Cancelled = "cancelled", "已取消", "Cancelled";
    }
);

labelled_enum!(
    /// 报名状态
    SignupStatus, "signup_status" {
        Pending = "pending", "待审核", "Pending";
        Confirmed = "confirmed", "已确认", "Confirmed";
        Waitlisted = "waitlisted", "候补", "Waitlisted";
        Cancelled = "cancelled", "已取消", "Cancelled";
        Rejected = "rejected", "未通过", "Rejected";
    }
);

labelled_enum!(
    /// 证书状态
    CertificateStatus, "certificate_status" {
        Valid = "valid", "有效", "Valid";
        Revoked = "revoked", "已撤销", "Revoked";
    }
);

labelled_enum!(
    /// 文件类型 (judged from the content, never from the name)
    FileType, "file_type" {
        Pdf = "application/pdf", "PDF 文档", "PDF document";
        Jpeg = "image/jpeg", "JPEG 图片", "JPEG image";
        Png = "image/png", "PNG 图片", "PNG image";
        Webp = "image/webp", "WebP 图片", "WebP image";
    }
);

labelled_enum!(
    /// 项目申报状态
    ProjectStatus, "project_status" {
        Draft = "draft", "草稿", "Draft";
        Submitted = "submitted", "已提交", "Submitted";
        UnderReview = "under_review", "审核中", "Under review";
        Approved = "approved", "已通过", "Approved";
        Rejected = "rejected", "未通过", "Rejected";
        Returned = "returned", "已退回修改", "Returned for changes";
    }
);

labelled_enum!(
    /// 项目评审决定
    ReviewDecision, "review_decision" {
        StartReview = "start_review", "开始审核", "Start review";
        Approve = "approve", "通过", "Approve";
        Reject = "reject", "不通过", "Reject";
        Return = "return", "退回修改", "Return for changes";
    }
);

labelled_enum!(
    /// 动态类型
    PostKind, "post_kind" {
        Experience = "experience", "心得分享", "Experience";
        News = "news", "活动动态", "News";
    }
);

labelled_enum!(
    /// 动态状态
    PostStatus, "post_status" {
        Visible = "visible", "公开", "Visible";
        Hidden = "hidden", "已屏蔽", "Hidden";
        Deleted = "deleted", "已删除", "Deleted";
    }
);

labelled_enum!(
    /// 表彰对象
    CommendationSubject, "commendation_subject" {
        Volunteer = "volunteer", "先进个人", "Volunteer";
        Team = "team", "先进集体", "Organisation";
        ProjectApplication = "project_application", "优秀项目", "Project";
    }
);

labelled_enum!(
    /// 表彰级别
    CommendationLevel, "commendation_level" {
        City = "city", "市级", "City";
        County = "county", "县级", "County";
        Organisation = "organisation", "组织内", "Organisation";
    }
);

labelled_enum!(
    /// 表彰状态
    CommendationStatus, "commendation_status" {
        Active = "active", "有效", "Active";
        Withdrawn = "withdrawn", "已撤销", "Withdrawn";
    }
);

labelled_enum!(
    /// 培训记录来源
    TrainingSource, "training_source" {
        Checkin = "checkin", "签到签退", "Check-in";
        Manual = "manual", "手工录入", "Recorded by hand";
    }
);

labelled_enum!(
    /// 导出格式
    ExportFormat, "export_format" {
        Csv = "csv", "CSV（UTF-8）", "CSV (UTF-8)";
        Xlsx = "xlsx", "Excel 工作簿", "Excel workbook";
    }
);

labelled_enum!(
    /// 统计结果格式
    StatsFormat, "stats_format" {
        Json = "json", "JSON", "JSON";
        Xlsx = "xlsx", "Excel 工作簿（含图表）", "Excel workbook (with a chart)";
    }
);

labelled_enum!(
    /// 总结报告提交情况
    ReportState, "report_state" {
        Filed = "filed", "已提交", "Filed";
        Late = "late", "逾期提交", "Filed late";
        Missing = "missing", "未提交", "Not filed";
    }
);

#[derive(Serialize, ToSchema)]
pub struct EnumValue {
    /// The value as the API reads and writes it.
    pub code: &'static str,
    pub zh_cn: &'static str,
    pub en: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct EnumDescription {
    pub name: &'static str,
    pub values: Vec<EnumValue>,
}

/// Every labelled enum with the name of its schema in the OpenAPI document, in a stable order.
pub fn with_schema_names() -> Vec<(std::borrow::Cow<'static, str>, EnumDescription)> {
    macro_rules! each {
        ($($name:ident),+) => {
            vec![$((<$name as utoipa::ToSchema>::name(), $name::describe())),+]
        };
    }
    each!(
        Gender,
        IdType,
        PoliticalStatus,
        Education,
        Skill,
        Role,
        ClientScope,
        WebhookEvent,
        DeliveryStatus,
        TeamKind,
        MembershipStatus,
        RecordStatus,
        RecordSource,
        CorrectionStatus,
        ActivityCategory,
        ServiceTarget,
        ActivityStatus,
        SignupStatus,
        CertificateStatus,
        FileType,
        ProjectStatus,
        ReviewDecision,
        PostKind,
        PostStatus,
        CommendationSubject,
        CommendationLevel,
        CommendationStatus,
        TrainingSource,
        ReportState,
        ExportFormat,
        StatsFormat
    )
}

/// Every enum, in a stable order.
pub fn all() -> Vec<EnumDescription> {
    with_schema_names().into_iter().map(|(_, d)| d).collect()
}
