//! Commendations (先进典型): the federation honours a volunteer (先进个人), an organisation
//! (先进集体) or a project (优秀项目); anyone reads them; a withdrawn one stays in history,
//! marked withdrawn.

pub mod dto;
pub mod model;
pub mod routes;
pub mod service;
pub mod store;
