//! Every "may this caller do this" question is answered here, and only here. Handlers name
//! the action; they never compare roles themselves.
//!
//! Outcomes: `Ok`, 403 (`forbidden`) for a resource the caller may know about but not touch,
//! 404 for one the caller may not even know exists.

use super::extractor::AuthUser;
use crate::error::ApiError;
use crate::meta::enums::Role;

#[derive(Debug, Clone, Copy)]
pub enum Action<'a> {
    /// Read an account with its roles and volunteer profile.
    ReadAccount { account_id: &'a str },
    /// Change an account's password.
    ChangePassword { account_id: &'a str },
    /// End a refresh-token family (logout).
    EndSession { owner_account_id: &'a str },
    /// Create a federation admin (CLI and bootstrap only; no caller over HTTP may).
    CreateFederationAdmin,
}

pub fn authorize(user: &AuthUser, action: Action<'_>) -> Result<(), ApiError> {
    let is_self = |id: &str| user.account_id == id;
    match action {
        Action::ReadAccount { account_id } => {
            if is_self(account_id) || user.has_role(Role::FederationAdmin) {
                Ok(())
            } else {
                Err(ApiError::not_found())
            }
        }
        // Only the owner: an admin resets passwords through a separate, audited action.
        Action::ChangePassword { account_id }
        | Action::EndSession {
            owner_account_id: account_id,
        } => {
            if is_self(account_id) {
                Ok(())
            } else {
                Err(ApiError::not_found())
            }
        }
        Action::CreateFederationAdmin => Err(ApiError::forbidden()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::tokens::RoleClaim;

    fn user(id: &str, roles: &[Role]) -> AuthUser {
        AuthUser {
            account_id: id.to_owned(),
            roles: roles
                .iter()
                .map(|r| RoleClaim {
                    role: *r,
                    team_id: (*r == Role::TeamAdmin).then(|| "team-1".to_owned()),
                })
                .collect(),
        }
    }

    /// The policy as a table: caller × action → expected HTTP status.
    #[test]
    fn policy_matrix() {
        let volunteer = user("v", &[Role::Volunteer]);
        let team_admin = user("t", &[Role::TeamAdmin]);
        let federation = user("f", &[Role::FederationAdmin]);
        let cases: Vec<(&AuthUser, Action, u16)> = vec![
            (&volunteer, Action::ReadAccount { account_id: "v" }, 200),
            (&volunteer, Action::ReadAccount { account_id: "x" }, 404),
            (&team_admin, Action::ReadAccount { account_id: "v" }, 404),
            (&federation, Action::ReadAccount { account_id: "v" }, 200),
            (&volunteer, Action::ChangePassword { account_id: "v" }, 200),
            (&federation, Action::ChangePassword { account_id: "v" }, 404),
            (
                &volunteer,
                Action::EndSession {
                    owner_account_id: "v",
                },
                200,
            ),
            (
                &team_admin,
                Action::EndSession {
                    owner_account_id: "v",
                },
                404,
            ),
            (&volunteer, Action::CreateFederationAdmin, 403),
            (&federation, Action::CreateFederationAdmin, 403),
        ];
        for (who, action, expected) in cases {
            let got = authorize(who, action)
                .map(|_| 200)
                .unwrap_or_else(|e| e.status.as_u16());
            assert_eq!(got, expected, "{} doing {action:?}", who.account_id);
        }
    }
}
