//! Project applications (项目申报): an organisation drafts a project, submits it (within its
//! campaign's application window), and federation admins review it — `draft` → `submitted` →
//! `under_review` → `approved` | `rejected` | `returned`, a returned one editable and
//! submittable again. Every transition is kept with who, when and why.

pub mod dto;
pub mod model;
pub mod routes;
pub mod service;
pub mod store;
pub mod workflow;

/// What application attachments are attached to, for the files domain.
pub const ATTACHMENT_KIND: &str = "project_application";
