# Unit tests of maa/decision's change-control keys (docs/policy.md "Stages", "Veto and required
# reasons", "Conditions", "Per-policy expiry"): data in the shape src/config/policy-config.ts gives.
package maa_test

import data.maa

with_policies(policies) := object.union(indexed, {"accessPolicies": policies})

scripts_call(method, body, groups) := {"call": {"method": method, "path": "/Scripts/7", "query": {}, "headers": {}, "body": body}, "caller": {"userId": "alice", "groups": groups}}

staged := {
	"name": "staged", "profileType": "Scripts", "approverGroups": ["policy-approvers", "security-approvers"],
	"requiredApprovals": 3, "enabled": true,
	"stages": [
		{"name": "policy", "approverGroups": ["policy-approvers"], "requiredApprovals": 1},
		{"name": "security", "approverGroups": ["security-approvers"], "requiredApprovals": 2},
	],
	"rejectPolicy": "majority", "justification": "required", "rejectNotes": "required",
	"expiresAfterMs": 86400000, "approvedExpiresAfterMs": 3600000,
}

test_staged_policy_carries_its_stages_and_options if {
	d := maa.decision with input as scripts_call("PATCH", {}, []) with data.countersign as with_policies([staged])
	d.protected
	d.stages == staged.stages
	d.requiredApprovals == 3
	d.approverGroups == ["policy-approvers", "security-approvers"]
	d.rejectPolicy == "majority"
	d.justification == "required"
	d.rejectNotes == "required"
	d.expiresAfterMs == 86400000
	d.approvedExpiresAfterMs == 3600000
	not d.why
}

plain := {"name": "plain", "profileType": "Scripts", "approverGroups": ["script-approvers"], "requiredApprovals": 1, "enabled": true}

test_policies_combine_strictly if {
	a := object.union(plain, {"rejectPolicy": "majority", "expiresAfterMs": 7200000})
	b := object.union(plain, {"name": "b", "justification": "required", "expiresAfterMs": 3600000})
	d := maa.decision with input as scripts_call("PATCH", {}, []) with data.countersign as with_policies([a, b])
	d.justification == "required"
	not d.rejectPolicy
	not d.rejectNotes
	d.expiresAfterMs == 3600000
	not d.stages
}

test_on_stale_allow_only_when_every_policy_says_so if {
	a := object.union(plain, {"onStale": "allow"})
	b := object.union(plain, {"name": "b", "onStale": "allow"})
	c := object.union(plain, {"name": "c"})
	d := maa.decision with input as scripts_call("PATCH", {}, []) with data.countersign as with_policies([a, b])
	d.onStale == "allow"
	e := maa.decision with input as scripts_call("PATCH", {}, []) with data.countersign as with_policies([a, c])
	not e.onStale
	f := maa.decision with input as scripts_call("PATCH", {}, []) with data.countersign as with_policies([plain])
	not f.onStale
}

script_body := object.union(plain, {"name": "script-body", "when": {"methods": ["PATCH"], "bodyFields": ["scriptContent", "assignments"]}})

test_when_body_field_sent_protects_and_says_why if {
	d := maa.decision with input as scripts_call("PATCH", {"scriptContent": "ZWNobw==", "description": "x"}, []) with data.countersign as with_policies([script_body])
	d.protected
	d.why == ["script-body applies: when.methods: PATCH is one of PATCH; when.bodyFields: the body sends scriptContent"]
}

test_when_body_field_null_counts_as_sent if {
	d := maa.decision with input as scripts_call("PATCH", {"assignments": null}, []) with data.countersign as with_policies([script_body])
	d.protected
}

test_when_other_fields_pass_and_say_why if {
	d := maa.decision with input as scripts_call("PATCH", {"description": "x"}, []) with data.countersign as with_policies([script_body])
	d == {"protected": false, "why": ["script-body does not apply: when.bodyFields: the body sends none of scriptContent, assignments"]}
}

test_when_body_not_json_object_passes if {
	d := maa.decision with input as scripts_call("PATCH", ["scriptContent"], []) with data.countersign as with_policies([script_body])
	not d.protected
}

test_when_method_not_listed_passes if {
	by_post := object.union(plain, {"when": {"methods": ["POST"]}})
	d := maa.decision with input as scripts_call("PATCH", {}, []) with data.countersign as with_policies([by_post])
	d == {"protected": false, "why": ["plain does not apply: when.methods: PATCH is not one of POST"]}
}

test_when_operations if {
	creates := object.union(plain, {"when": {"operations": ["create"]}})
	not_create := maa.decision with input as scripts_call("PATCH", {}, []) with data.countersign as with_policies([creates])
	not not_create.protected
	create := maa.decision with input as {"call": {"method": "POST", "path": "/Scripts", "query": {}, "headers": {}, "body": {}}, "caller": {"userId": "alice", "groups": []}} with data.countersign as with_policies([creates])
	create.protected
	create.why == ["plain applies: when.operations: create is one of create"]
}

test_applies_to_and_exempt_by_requestor_group if {
	scoped := object.union(plain, {"appliesTo": ["helpdesk"], "exempt": ["change-board"]})
	helpdesk := maa.decision with input as scripts_call("PATCH", {}, ["helpdesk"]) with data.countersign as with_policies([scoped])
	helpdesk.protected
	helpdesk.why == ["plain applies: appliesTo: the requestor is in helpdesk; exempt: the requestor is in none of change-board"]
	other := maa.decision with input as scripts_call("PATCH", {}, ["engineers"]) with data.countersign as with_policies([scoped])
	other == {"protected": false, "why": ["plain does not apply: appliesTo: the requestor is in none of helpdesk"]}
	board := maa.decision with input as scripts_call("PATCH", {}, ["helpdesk", "change-board"]) with data.countersign as with_policies([scoped])
	board == {"protected": false, "why": ["plain does not apply: exempt: the requestor is in change-board"]}
}

test_one_excluded_policy_leaves_the_other if {
	scoped := object.union(plain, {"name": "scoped", "appliesTo": ["helpdesk"], "requiredApprovals": 2})
	d := maa.decision with input as scripts_call("PATCH", {}, ["engineers"]) with data.countersign as with_policies([plain, scoped])
	d.protected
	d.policies == ["plain"]
	d.requiredApprovals == 1
	d.why == ["scoped does not apply: appliesTo: the requestor is in none of helpdesk"]
}

test_when_unreadable_body_holds if {
	input_call := {"call": {"method": "PATCH", "path": "/Scripts/7", "query": {}, "headers": {}, "unreadableBody": true}, "caller": {"userId": "alice", "groups": []}}
	d := maa.decision with input as input_call with data.countersign as with_policies([script_body])
	d.protected
	d.why == ["script-body applies: when.methods: PATCH is one of PATCH; when.bodyFields: the body is not JSON, so it may send any field"]
}

test_when_no_body_sends_no_field if {
	input_call := {"call": {"method": "PATCH", "path": "/Scripts/7", "query": {}, "headers": {}}, "caller": {"userId": "alice", "groups": []}}
	d := maa.decision with input as input_call with data.countersign as with_policies([script_body])
	not d.protected
}
