//! Seats and the waitlist: who holds a seat, who waits in which place, and who moves up when a
//! seat frees. Never more confirmed than capacity: a seat is taken by a conditional update
//! (`store::take_seat`) inside the caller's transaction.

use super::model::Signup;
use super::store;
use crate::db::Tx;
use crate::error::ApiResult;
use crate::meta::enums::SignupStatus as Status;
use crate::meta::enums::WebhookEvent;

/// The webhook event of a sign-up holding a seat now (however it got it).
pub fn announce_confirmed(tx: &mut Tx, signup_id: &str, activity_id: &str, volunteer_id: &str) {
    tx.emit(
        WebhookEvent::SignupConfirmed,
        serde_json::json!({"id": signup_id, "activity_id": activity_id, "volunteer_id": volunteer_id}),
    );
}

/// Confirms waitlisted volunteers in order while seats remain, at most `seats` of them.
pub fn promote(tx: &mut Tx, activity_id: &str, seats: i32) -> ApiResult<i32> {
    let mut promoted = 0;
    while promoted < seats {
        let Some(first) = store::first_waitlisted(tx, activity_id)? else {
            break;
        };
        if !store::take_seat(tx, activity_id)? {
            break;
        }
        store::set_signup_status(tx, &first.id, Status::Confirmed, None)?;
        store::leave_waitlist(tx, activity_id, first.position.unwrap_or(1))?;
        announce_confirmed(tx, &first.id, activity_id, &first.volunteer_id);
        promoted += 1;
    }
    Ok(promoted)
}

/// Frees whatever the sign-up held (a seat, a waitlist place) and promotes into a freed seat.
pub fn vacate(tx: &mut Tx, signup: &Signup, to: Status) -> ApiResult<()> {
    store::set_signup_status(tx, &signup.id, to, None)?;
    match signup.status {
        Status::Confirmed => {
            store::release_seat(tx, &signup.activity_id)?;
            promote(tx, &signup.activity_id, 1)?;
        }
        Status::Waitlisted => {
            store::leave_waitlist(tx, &signup.activity_id, signup.position.unwrap_or(1))?
        }
        _ => {}
    }
    Ok(())
}

/// Cancelling an activity cancels its sign-ups.
pub fn cancel_all(tx: &mut Tx, activity_id: &str) -> ApiResult<()> {
    Ok(store::cancel_signups(tx, activity_id)?)
}
