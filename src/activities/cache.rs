//! Activities as last read, by id and version.
//!
//! Browsing reads an activity far more often than anyone edits it, and decoding its thirty-odd
//! columns was most of a list request's work. Every committed edit and lifecycle step bumps
//! `version` (the sign-up counts excepted: they change without it), so a committed (id,
//! version) always names the same content. Public reads therefore fetch just id, version and
//! the counts, and take the rest from memory when the version matches, also when another
//! instance made the change. Only reads outside a transaction use it: a version seen inside a
//! transaction that is later rolled back could be reused by another change.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use diesel::prelude::*;

use super::model::Activity;
use crate::db::DbConn;
use crate::schema::activities;

/// Beyond this many activities the cache starts afresh (about a kilobyte each).
const CAPACITY: usize = 20_000;

/// What a read fetches of each activity: enough to know whether the remembered one is current.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = activities)]
pub struct Current {
    pub id: String,
    pub version: i64,
    pub confirmed_count: i32,
    pub waitlist_count: i32,
}

#[derive(Default)]
pub struct ActivityCache {
    by_id: RwLock<HashMap<String, Arc<Activity>>>,
}

impl ActivityCache {
    /// The activities `current` names, in its order, with its counts; those not remembered at
    /// their version are loaded (one statement for all of them) and remembered.
    pub fn resolve(&self, conn: &mut DbConn, current: Vec<Current>) -> QueryResult<Vec<Activity>> {
        let mut found: Vec<Option<Activity>> = {
            let by_id = self.by_id.read().unwrap_or_else(|e| e.into_inner());
            current
                .iter()
                .map(|c| {
                    by_id
                        .get(&c.id)
                        .filter(|a| a.version == c.version)
                        .map(|a| Activity {
                            confirmed_count: c.confirmed_count,
                            waitlist_count: c.waitlist_count,
                            ..Activity::clone(a)
                        })
                })
                .collect()
        };
        let missing: Vec<&str> = current
            .iter()
            .zip(&found)
            .filter(|(_, f)| f.is_none())
            .map(|(c, _)| c.id.as_str())
            .collect();
        if missing.is_empty() {
            return Ok(found.into_iter().flatten().collect());
        }
        let loaded: Vec<Activity> = activities::table
            .filter(activities::id.eq_any(&missing))
            .select(Activity::as_select())
            .load(conn)?;
        let mut by_id = self.by_id.write().unwrap_or_else(|e| e.into_inner());
        if by_id.len() + loaded.len() > CAPACITY {
            by_id.clear();
        }
        for a in loaded {
            // Loaded a moment later than `current`, so at least as new: it fills the gap as is.
            if let Some(i) = current.iter().position(|c| c.id == a.id) {
                found[i] = Some(a.clone());
            }
            by_id.insert(a.id.clone(), Arc::new(a));
        }
        // An activity gone in between (none are deleted today) is simply left out.
        Ok(found.into_iter().flatten().collect())
    }
}
