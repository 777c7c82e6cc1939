//! Activities: publishing with a lifecycle, race-free sign-ups with an ordered waitlist.

mod cache;
pub mod checkin;
pub mod dto;
pub mod model;
pub mod routes;
pub mod rules;
pub mod seats;
pub mod service;
pub mod signups;
pub mod store;
