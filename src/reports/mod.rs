//! Campaign summary reports (活动总结): each organisation files one per campaign, with figures
//! taken from the ledger (never from the client), marked late when filed after the local day
//! the campaign set as due; federation admins comment; a federation sees who has not filed.

pub mod dto;
pub mod model;
pub mod routes;
pub mod service;
pub mod store;

/// What report photos are attached to, for the files domain.
pub const ATTACHMENT_KIND: &str = "campaign_report";
