//! Bulk imports (批量导入): volunteers and service records in batches of up to 1000 rows, from
//! the city platform (a client with `import:write`), from federation admins over HTTP, or from a
//! spreadsheet with `zhiyuan import`. Each row is checked by the rules of its single endpoint
//! and applied on its own (a savepoint), so one bad row refuses only itself; a row already
//! imported is reported as the existing item, so a batch run twice changes nothing.

pub mod dto;
pub mod model;
pub mod routes;
pub mod service;
pub mod sheet;
pub mod store;
