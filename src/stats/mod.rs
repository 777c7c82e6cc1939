//! Statistics (数据统计): the overview of a subtree and a campaign's figures by organisation,
//! town and category. Owns no table: every figure comes from the aggregates the owning
//! domains keep in the transaction of each change (`hours::totals`, `teams::members`) and
//! from small counts of activities, so that no reading scans the ledger.

pub mod dto;
pub mod routes;
pub mod service;
pub mod workbook;
