# Unit tests of maa/authorize: every action, every grant and every denial.
package maa_test

import data.maa

roles := {"roles": {"auditorGroups": ["auditors"]}}

request(status, approved_by) := {
	"id": "r1",
	"status": status,
	"requestor": {"userId": "alice", "groups": ["helpdesk", "app-approvers"]},
	"profileType": "apps",
	"operation": "modify",
	"policies": ["apps-approval"],
	"approverGroups": ["app-approvers", "leads"],
	"requiredApprovals": 2,
	"approvedBy": approved_by,
}

ask(actor, groups, action, status, approved_by) := r if {
	r := maa.authorize with input as {
		"request": request(status, approved_by),
		"actor": {"userId": actor, "groups": groups},
		"action": action,
	}
		with data.countersign as roles
}

# view
test_requestor_may_view if {
	r := ask("alice", [], "view", "completed", [])
	r.allow
	r.reasons == ["the requestor may view their own request"]
}

test_approver_may_view if ask("bob", ["leads"], "view", "needsApproval", []).allow

test_auditor_may_view if {
	r := ask("carol", ["auditors"], "view", "rejected", [])
	r == {"allow": true, "reasons": ["auditors may view every request"]}
}

test_stranger_may_not_view if {
	r := ask("mallory", ["helpdesk"], "view", "needsApproval", [])
	r == {"allow": false, "reasons": ["only the requestor, an approver or an auditor may view a request"]}
}

# approve and reject
test_approver_may_approve if {
	r := ask("bob", ["app-approvers"], "approve", "needsApproval", [])
	r == {"allow": true, "reasons": ["member of approver group app-approvers"]}
}

test_approver_may_reject if ask("bob", ["leads"], "reject", "needsApproval", ["dave"]).allow

test_requestor_cannot_approve_own_request_whatever_groups if {
	r := ask("alice", ["app-approvers", "leads", "auditors"], "approve", "needsApproval", [])
	not r.allow
	r.reasons == ["the requestor cannot approve their own request"]
}

# Ids reach the policy canonical (invariant 9; identity folds "ALICE" to "alice"), so the policy
# compares them exactly, as the Redis scripts do: one rule, in one place.
test_same_user_is_plain_equality if {
	maa.same_user("alice", "alice")
	not maa.same_user("alice", "bob")
	not maa.same_user("ALICE", "alice")
	not maa.same_user("alice ", "alice")
}

test_requestor_cannot_reject_own_request if {
	r := ask("alice", ["app-approvers"], "reject", "needsApproval", [])
	r == {"allow": false, "reasons": ["the requestor cannot reject their own request"]}
}

test_non_member_cannot_approve if {
	r := ask("mallory", ["helpdesk", "auditors"], "approve", "needsApproval", [])
	r == {"allow": false, "reasons": ["only a member of an approver group (app-approvers, leads) may approve this request"]}
}

test_approver_cannot_approve_twice if {
	r := ask("bob", ["app-approvers"], "approve", "needsApproval", ["bob"])
	r == {"allow": false, "reasons": ["this approver has already approved the request"]}
}

test_approve_needs_needs_approval_status if {
	r := ask("bob", ["app-approvers"], "approve", "approved", [])
	r == {"allow": false, "reasons": ["only a request that needs approval can be approved (status is approved)"]}
}

test_reject_needs_needs_approval_status if {
	r := ask("bob", ["app-approvers"], "reject", "canceled", [])
	r == {"allow": false, "reasons": ["only a request that needs approval can be rejected (status is canceled)"]}
}

test_all_denials_are_listed if {
	r := ask("alice", [], "approve", "approved", ["alice"])
	not r.allow
	count(r.reasons) == 4
}

# cancel
test_requestor_may_cancel if {
	r := ask("alice", [], "cancel", "needsApproval", [])
	r == {"allow": true, "reasons": ["the requestor may cancel their own request"]}
}

test_others_may_not_cancel if {
	r := ask("bob", ["app-approvers", "auditors"], "cancel", "needsApproval", [])
	r == {"allow": false, "reasons": ["only the requestor may cancel the request"]}
}

test_cancel_only_while_needs_approval if {
	r := ask("alice", [], "cancel", "approved", [])
	r == {"allow": false, "reasons": ["only a request that needs approval can be canceled (status is approved)"]}
}

# complete
test_requestor_may_complete_approved if {
	r := ask("alice", [], "complete", "approved", ["bob", "dave"])
	r == {"allow": true, "reasons": ["the requestor may complete their own request"]}
}

test_complete_only_when_approved if {
	r := ask("alice", [], "complete", "needsApproval", [])
	r == {"allow": false, "reasons": ["only an approved request can be completed (status is needsApproval)"]}
}

test_others_may_not_complete if {
	r := ask("bob", ["app-approvers"], "complete", "approved", [])
	r == {"allow": false, "reasons": ["only the requestor may complete the request"]}
}

# malformed input
test_unknown_action_is_refused if {
	r := ask("alice", [], "delete", "needsApproval", [])
	r == {"allow": false, "reasons": ["unknown action delete"]}
}

test_actor_without_user_id_is_refused if {
	r := ask("", ["app-approvers"], "approve", "needsApproval", [])
	not r.allow
	"the actor has no user id" in r.reasons
}

test_request_without_requestor_is_refused if {
	r := maa.authorize with input as {"request": {"status": "needsApproval", "approverGroups": ["x"], "approvedBy": []}, "actor": {"userId": "bob", "groups": ["x"]}, "action": "approve"}
	not r.allow
	"the request has no requestor" in r.reasons
}

test_no_rule_default_denies if {
	r := maa.authorize with input as {}
	not r.allow
}

test_auditor_cannot_approve_without_group if {
	r := ask("carol", ["auditors"], "approve", "needsApproval", [])
	not r.allow
}

staged_request := {
	"id": "r1", "status": "needsApproval", "requestor": {"userId": "alice", "groups": ["helpdesk"]},
	"profileType": "accessPolicies", "operation": "modify", "policies": ["p"],
	"approverGroups": ["policy-approvers", "security-approvers"], "requiredApprovals": 2, "approvedBy": [],
	"stage": {"name": "policy", "approverGroups": ["policy-approvers"]},
}

test_staged_current_stage_approver_may_approve if {
	r := maa.authorize with input as {"request": staged_request, "actor": {"userId": "dave", "groups": ["policy-approvers"]}, "action": "approve"}
	r.allow
}

test_staged_later_stage_approver_waits if {
	r := maa.authorize with input as {"request": staged_request, "actor": {"userId": "heidi", "groups": ["security-approvers"]}, "action": "approve"}
	not r.allow
	r.reasons == ["only a member of the current stage policy's approver groups (policy-approvers) may approve now"]
}

test_staged_later_stage_approver_may_view if {
	r := maa.authorize with input as {"request": staged_request, "actor": {"userId": "heidi", "groups": ["security-approvers"]}, "action": "view"}
	r.allow
}

test_rejected_once_cannot_reject_again if {
	req := object.union(staged_request, {"rejectedBy": ["dave"]})
	r := maa.authorize with input as {"request": req, "actor": {"userId": "dave", "groups": ["policy-approvers"]}, "action": "reject"}
	not r.allow
	"this approver has already rejected the request" in r.reasons
}
