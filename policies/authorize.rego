# Entry point maa/authorize: may this actor take this action on this stored request?
#
# Input:  {"request": {id, status, requestor, profileType, operation, policies, approverGroups,
#          requiredApprovals, approvedBy, and for a staged request stage: {name, approverGroups},
#          for a majority veto rejectedBy}, "actor": {userId, groups}, "action": "view"|"approve"|...}
# Data:   data.countersign.roles.auditorGroups (from config/roles.yaml)
# Output: {"allow": bool, "reasons": [string]}: the denials when refused, the grants when allowed.
#
# Status checks are here so the console can say why a button is disabled; the Redis scripts
# re-check state atomically, so a race cannot slip past a stale answer.
package maa

known_actions := {"view", "approve", "reject", "cancel", "complete", "breakGlass", "review"}

verdict_actions := {"approve", "reject"}

default authorize := {"allow": false, "reasons": ["no rule allows this action"]}

authorize := {"allow": false, "reasons": sort(denials)} if count(denials) > 0

authorize := {"allow": true, "reasons": sort(grants)} if {
	count(denials) == 0
	count(grants) > 0
}

# Plain equality, on purpose (invariant 9): identity gives every user id in its canonical form
# (NFKC, trimmed, case-folded; src/identity/user-id.ts), so "Alice", "alice " and fullwidth
# "ａｌｉｃｅ" all arrive as "alice", and the Redis scripts compare the same strings exactly.
# Folding again here would be a second rule that could disagree with the first.
same_user(a, b) if a == b

actor_id_valid if {
	is_string(input.actor.userId)
	input.actor.userId != ""
}

requestor_id_valid if {
	is_string(input.request.requestor.userId)
	input.request.requestor.userId != ""
}

is_requestor if {
	actor_id_valid
	requestor_id_valid
	same_user(input.actor.userId, input.request.requestor.userId)
}

approver_groups_of_actor contains g if {
	some g in input.actor.groups
	g in input.request.approverGroups
}

is_auditor if {
	some g in input.actor.groups
	g in data.countersign.roles.auditorGroups
}

already_approved if {
	some a in input.request.approvedBy
	same_user(a, input.actor.userId)
}

denials contains "the actor has no user id" if not actor_id_valid

denials contains "the request has no requestor" if not requestor_id_valid

denials contains sprintf("unknown action %v", [input.action]) if not input.action in known_actions

# view
denials contains "only the requestor, an approver or an auditor may view a request" if {
	input.action == "view"
	not is_requestor
	count(approver_groups_of_actor) == 0
	not is_auditor
}

grants contains "the requestor may view their own request" if {
	input.action == "view"
	is_requestor
}

grants contains sprintf("member of approver group %s", [g]) if {
	input.action in {"view", "approve", "reject"}
	some g in approver_groups_of_actor
}

grants contains "auditors may view every request" if {
	input.action == "view"
	is_auditor
}

# approve, reject
denials contains sprintf("the requestor cannot %s their own request", [input.action]) if {
	input.action in verdict_actions
	is_requestor
}

denials contains sprintf("only a member of an approver group (%s) may %s this request", [concat(", ", input.request.approverGroups), input.action]) if {
	input.action in verdict_actions
	count(approver_groups_of_actor) == 0
}

denials contains "this approver has already approved the request" if {
	input.action in verdict_actions
	already_approved
}

denials contains sprintf("only a request that needs approval can be %s (status is %s)", [past_tense[input.action], input.request.status]) if {
	input.action in {"approve", "reject", "cancel"}
	input.request.status != "needsApproval"
}

past_tense := {"approve": "approved", "reject": "rejected", "cancel": "canceled", "complete": "completed"}

# cancel, complete
denials contains sprintf("only the requestor may %s the request", [input.action]) if {
	input.action in {"cancel", "complete"}
	not is_requestor
}

grants contains sprintf("the requestor may %s their own request", [input.action]) if {
	input.action in {"cancel", "complete"}
	is_requestor
}

denials contains sprintf("only an approved request can be completed (status is %s)", [input.request.status]) if {
	input.action == "complete"
	input.request.status != "approved"
}

# Stages (docs/policy.md "Stages"): while a staged request waits, only the current stage's
# approvers may approve or reject it. The approve and reject scripts check the same atomically.
denials contains sprintf("only a member of the current stage %s's approver groups (%s) may %s now", [input.request.stage.name, concat(", ", input.request.stage.approverGroups), input.action]) if {
	input.action in verdict_actions
	input.request.stage
	count(approver_groups_of_actor) > 0
	not in_current_stage
}

in_current_stage if {
	some g in input.actor.groups
	g in input.request.stage.approverGroups
}

# Under a majority veto a rejection may leave the request open; one verdict per approver still.
denials contains "this approver has already rejected the request" if {
	input.action in verdict_actions
	some a in input.request.rejectedBy
	same_user(a, input.actor.userId)
}
