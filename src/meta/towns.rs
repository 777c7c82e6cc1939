//! Reference data: Taishan's subdistrict and its sixteen towns. A `town` in the API is one of
//! these names, written out.

use serde::Serialize;
use utoipa::ToSchema;

#[derive(Clone, Copy, Debug, Serialize, ToSchema)]
pub struct Town {
    /// The value clients send and receive, e.g. `台城街道`, `大江镇`.
    pub name: &'static str,
    pub name_en: &'static str,
    /// `subdistrict` (街道) or `town` (镇).
    pub kind: &'static str,
}

const fn town(name: &'static str, name_en: &'static str) -> Town {
    Town {
        name,
        name_en,
        kind: "town",
    }
}

pub const TOWNS: [Town; 17] = [
    Town {
        name: "台城街道",
        name_en: "Taicheng Subdistrict",
        kind: "subdistrict",
    },
    town("大江镇", "Dajiang"),
    town("水步镇", "Shuibu"),
    town("四九镇", "Sijiu"),
    town("白沙镇", "Baisha"),
    town("三合镇", "Sanhe"),
    town("冲蒌镇", "Chonglou"),
    town("斗山镇", "Doushan"),
    town("都斛镇", "Duhu"),
    town("赤溪镇", "Chixi"),
    town("端芬镇", "Duanfen"),
    town("广海镇", "Guanghai"),
    town("海宴镇", "Haiyan"),
    town("汶村镇", "Wencun"),
    town("深井镇", "Shenjing"),
    town("北陡镇", "Beidou"),
    town("川岛镇", "Chuandao"),
];

pub fn is_town(name: &str) -> bool {
    TOWNS.iter().any(|t| t.name == name)
}

/// The schema of a `town` value: one of the names above, exactly.
pub struct TownName;

impl utoipa::PartialSchema for TownName {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(
                "A town or subdistrict, written out as `/api/v1/meta/towns` lists it.",
            ))
            .enum_values(Some(TOWNS.iter().map(|t| t.name)))
            .into()
    }
}

impl utoipa::ToSchema for TownName {}
