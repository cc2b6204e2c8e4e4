# maa/authorize, continued: break-glass and its review after the fact (docs/policy.md, "Break-glass").
#
# Data:  data.countersign.roles.breakGlassGroups (config/roles.yaml)
# Input: input.request.breakGlass = {"reviewed": bool} once the request was completed by break-glass.
#
# The reason's length is checked by the API before it asks (422 BREAK_GLASS_REASON_REQUIRED), and the
# Redis script re-checks the status and the requestor atomically.
package maa

break_glass_groups_of_actor contains g if {
	some g in input.actor.groups
	g in data.countersign.roles.breakGlassGroups
}

is_break_glass if input.request.breakGlass.reviewed in {true, false}

# breakGlass: the requestor, in a break-glass group, on a request that still needs approval.
denials contains "only the requestor may break glass on their own request" if {
	input.action == "breakGlass"
	not is_requestor
}

denials contains sprintf("only a member of a break-glass group (%s) may break glass", [concat(", ", break_glass_groups)]) if {
	input.action == "breakGlass"
	count(break_glass_groups_of_actor) == 0
}

break_glass_groups := sort([g | some g in data.countersign.roles.breakGlassGroups])

denials contains sprintf("only a request that needs approval can be completed by break-glass (status is %s)", [input.request.status]) if {
	input.action == "breakGlass"
	input.request.status != "needsApproval"
}

grants contains sprintf("member of break-glass group %s", [g]) if {
	input.action == "breakGlass"
	some g in break_glass_groups_of_actor
}

# review: an approver of the request's groups, never the requestor, once.
denials contains "only a request completed by break-glass can be reviewed" if {
	input.action == "review"
	not is_break_glass
}

denials contains "the requestor cannot review their own break-glass" if {
	input.action == "review"
	is_requestor
}

denials contains sprintf("only a member of an approver group (%s) may review this request", [concat(", ", input.request.approverGroups)]) if {
	input.action == "review"
	count(approver_groups_of_actor) == 0
}

denials contains "the break-glass has already been reviewed" if {
	input.action == "review"
	input.request.breakGlass.reviewed == true
}

grants contains sprintf("member of approver group %s", [g]) if {
	input.action == "review"
	some g in approver_groups_of_actor
}
