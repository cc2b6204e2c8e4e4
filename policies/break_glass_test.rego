# Unit tests of maa/authorize's break-glass and review actions.
package maa_test

import data.maa

bg_data := {"roles": {"auditorGroups": ["auditors"], "breakGlassGroups": ["incident-responders"], "breakGlassMinReasonChars": 20}}

bg_request(status, break_glass) := object.union(request(status, []), break_glass)

bg_ask(actor, groups, action, status, break_glass) := r if {
	r := maa.authorize with input as {
		"request": bg_request(status, break_glass),
		"actor": {"userId": actor, "groups": groups},
		"action": action,
	}
		with data.countersign as bg_data
}

test_requestor_in_break_glass_group_may_break_glass if {
	r := bg_ask("alice", ["incident-responders"], "breakGlass", "needsApproval", {})
	r == {"allow": true, "reasons": ["member of break-glass group incident-responders"]}
}

test_requestor_outside_break_glass_groups_may_not if {
	r := bg_ask("alice", ["helpdesk"], "breakGlass", "needsApproval", {})
	r == {"allow": false, "reasons": ["only a member of a break-glass group (incident-responders) may break glass"]}
}

test_other_member_may_not_break_glass_someone_elses_request if {
	r := bg_ask("bob", ["incident-responders"], "breakGlass", "needsApproval", {})
	not r.allow
	"only the requestor may break glass on their own request" in r.reasons
}

test_break_glass_only_while_it_needs_approval if {
	r := bg_ask("alice", ["incident-responders"], "breakGlass", "approved", {})
	r.reasons == ["only a request that needs approval can be completed by break-glass (status is approved)"]
}

test_no_break_glass_groups_configured if {
	r := maa.authorize with input as {
		"request": request("needsApproval", []),
		"actor": {"userId": "alice", "groups": ["incident-responders"]},
		"action": "breakGlass",
	}
		with data.countersign as {"roles": {"auditorGroups": []}}
	r == {"allow": false, "reasons": ["only a member of a break-glass group () may break glass"]}
}

test_approver_may_review_unreviewed_break_glass if {
	r := bg_ask("bob", ["leads"], "review", "completed", {"breakGlass": {"reviewed": false}})
	r == {"allow": true, "reasons": ["member of approver group leads"]}
}

test_review_needs_break_glass if {
	r := bg_ask("bob", ["leads"], "review", "completed", {})
	r.reasons == ["only a request completed by break-glass can be reviewed"]
}

test_requestor_may_not_review_own_break_glass if {
	r := bg_ask("alice", ["helpdesk", "app-approvers"], "review", "completed", {"breakGlass": {"reviewed": false}})
	r.reasons == ["the requestor cannot review their own break-glass"]
}

test_non_approver_may_not_review if {
	r := bg_ask("mallory", ["helpdesk"], "review", "completed", {"breakGlass": {"reviewed": false}})
	r.reasons == ["only a member of an approver group (app-approvers, leads) may review this request"]
}

test_auditor_may_not_review if {
	r := bg_ask("erin", ["auditors"], "review", "failed", {"breakGlass": {"reviewed": false}})
	not r.allow
}

test_review_only_once if {
	r := bg_ask("bob", ["leads"], "review", "completed", {"breakGlass": {"reviewed": true}})
	r.reasons == ["the break-glass has already been reviewed"]
}

# A staged request: break-glass is not a verdict, so the current stage does not hold it; and the
# review is for an approver of any stage (the request's approverGroups are all the stages' groups).
test_break_glass_on_a_staged_request_skips_the_stages if {
	r := maa.authorize with input as {
		"request": staged_request,
		"actor": {"userId": "alice", "groups": ["incident-responders"]},
		"action": "breakGlass",
	}
		with data.countersign as bg_data
	r.allow
}

test_any_stage_approver_may_review_a_staged_break_glass if {
	reviewed := object.union(object.remove(staged_request, ["stage"]), {"status": "completed", "breakGlass": {"reviewed": false}})
	r := maa.authorize with input as {"request": reviewed, "actor": {"userId": "heidi", "groups": ["security-approvers"]}, "action": "review"}
		with data.countersign as bg_data
	r.allow
}
