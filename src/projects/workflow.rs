//! The review workflow as data: which status a decision leads to from which, and which
//! statuses may still be edited. Nothing else in the domain decides a transition.

use crate::meta::enums::{ProjectStatus, ReviewDecision};

/// Statuses in which the applicant may edit and submit.
pub fn is_editable(status: ProjectStatus) -> bool {
    matches!(status, ProjectStatus::Draft | ProjectStatus::Returned)
}

/// Where submitting leads from `from`, if it may.
pub fn submit(from: ProjectStatus) -> Option<ProjectStatus> {
    is_editable(from).then_some(ProjectStatus::Submitted)
}

/// Where a review decision leads from `from`, if it may.
pub fn review(from: ProjectStatus, decision: ReviewDecision) -> Option<ProjectStatus> {
    match (from, decision) {
        (ProjectStatus::Submitted, ReviewDecision::StartReview) => Some(ProjectStatus::UnderReview),
        (ProjectStatus::UnderReview, ReviewDecision::Approve) => Some(ProjectStatus::Approved),
        (ProjectStatus::UnderReview, ReviewDecision::Reject) => Some(ProjectStatus::Rejected),
        (ProjectStatus::UnderReview, ReviewDecision::Return) => Some(ProjectStatus::Returned),
        _ => None,
    }
}

/// Decisions that must say why.
pub fn needs_comment(decision: ReviewDecision) -> bool {
    matches!(decision, ReviewDecision::Reject | ReviewDecision::Return)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_documented_transitions_exist() {
        let mut allowed = Vec::new();
        for &from in ProjectStatus::ALL {
            if let Some(to) = submit(from) {
                allowed.push((from, "submit", to));
            }
            for &decision in ReviewDecision::ALL {
                if let Some(to) = review(from, decision) {
                    allowed.push((from, decision.code(), to));
                }
            }
        }
        use ProjectStatus::*;
        assert_eq!(
            allowed,
            vec![
                (Draft, "submit", Submitted),
                (Submitted, "start_review", UnderReview),
                (UnderReview, "approve", Approved),
                (UnderReview, "reject", Rejected),
                (UnderReview, "return", Returned),
                (Returned, "submit", Submitted),
            ]
        );
    }
}
