# Unit tests of maa/decision (run with `opa test policies` or `countersign policy test`).
# The data mirrors what src/config/policy-config.ts gives the policy.
package maa_test

import data.maa

fixture := {
	"profileTypes": {
		"apps": {"caseInsensitive": true, "apiVersions": ["v1.0", "beta"], "routes": [
			{"method": "POST", "operation": "create", "literals": ["deviceappmanagement", "mobileapps"], "rest": false, "objectLength": 0},
			{"method": "PATCH", "operation": "modify", "literals": ["deviceappmanagement", "mobileapps", null], "rest": false, "objectLength": 3},
			{"method": "DELETE", "operation": "delete", "literals": ["deviceappmanagement", "mobileapps", null], "rest": false, "objectLength": 3},
			{"method": "POST", "operation": "assign", "literals": ["deviceappmanagement", "mobileapps", null, "assign"], "rest": false, "objectLength": 3},
			{"method": "*", "operation": "modify", "literals": ["deviceappmanagement", "mobileapps", null], "rest": true, "objectLength": 3},
		]},
		"Scripts": {"caseInsensitive": false, "apiVersions": ["V1"], "routes": [
			{"method": "PATCH", "operation": "modify", "literals": ["Scripts", null], "rest": false, "objectLength": 2},
			{"method": "POST", "operation": "modify", "literals": ["Scripts", "reindex"], "rest": false, "objectLength": 2},
			{"method": "POST", "operation": "create", "literals": ["Scripts"], "rest": false, "objectLength": 0},
		]},
	},
	"accessPolicies": [
		{"name": "apps-b", "profileType": "apps", "approverGroups": ["app-approvers", "leads"], "requiredApprovals": 2, "enabled": true},
		{"name": "apps-a", "profileType": "apps", "approverGroups": ["app-approvers"], "requiredApprovals": 1, "enabled": true},
		{"name": "apps-off", "profileType": "apps", "approverGroups": ["nobody"], "requiredApprovals": 5, "enabled": false},
		{"name": "scripts", "profileType": "Scripts", "approverGroups": ["script-approvers"], "requiredApprovals": 1, "enabled": true},
	],
	"roles": {"auditorGroups": ["auditors"]},
}

# The route index and version segments that src/config/policy-config.ts builds, built here from
# the fixture's profile types.
with_index(f) := object.union(f, {"routeIndex": route_index(f.profileTypes), "apiVersionSegments": version_segments(f.profileTypes)})

version_segments(pts) := {lower(v): true |
	some pt in pts
	some v in object.get(pt, "apiVersions", [])
}

indexed := with_index(fixture)

index_entries(pts) := [e |
	some name, pt in pts
	some route in pt.routes
	e := {"profileType": name, "caseInsensitive": pt.caseInsensitive, "route": route}
]

entry_methods(e) := {"POST", "PUT", "PATCH", "DELETE"} if e.route.method == "*"

else := {e.route.method}

# The two keys of src/config/policy-config.ts routeKeys.
entry_keys(e) := ["{}", "{}"] if not is_string(e.route.literals[0])

else := [lower(e.route.literals[0]), "{}"] if {
	count(e.route.literals) < 2
	e.route.rest
} else := [lower(e.route.literals[0]), ""] if {
	count(e.route.literals) < 2
} else := [lower(e.route.literals[0]), lower(e.route.literals[1])] if {
	is_string(e.route.literals[1])
} else := [lower(e.route.literals[0]), "{}"]

# Each entry's keys and methods are computed once, and each bucket is filled by one pass over the
# entries, so building the index of a fixture with hundreds of routes stays quick.
route_index(pts) := index if {
	keyed := [{"entry": e, "keys": entry_keys(e), "methods": entry_methods(e)} | some e in index_entries(pts)]
	index := {m: {k1: {k2: [x.entry | some x in keyed; m in x.methods; x.keys == [k1, k2]] |
		some pair in {x.keys | some x in keyed; m in x.methods}
		pair[0] == k1
		k2 := pair[1]
	} |
		some k1 in {x.keys[0] | some x in keyed; m in x.methods}
	} |
		some m in {"POST", "PUT", "PATCH", "DELETE"}
	}
}

call(method, path) := {"call": {"method": method, "path": path, "query": {}, "headers": {}}, "caller": {"userId": "alice", "groups": ["helpdesk"]}}

create_call(body) := {"call": {"method": "POST", "path": "/deviceappmanagement/mobileapps", "query": {}, "headers": {}, "body": body}, "caller": {"userId": "alice", "groups": []}}

test_modify_is_protected_with_merged_policies if {
	d := maa.decision with input as call("PATCH", "/deviceappmanagement/mobileapps/42") with data.countersign as indexed
	d == {
		"protected": true,
		"profileType": "apps",
		"objectKey": "apps:/deviceappmanagement/mobileapps/42",
		"operation": "modify",
		"policies": ["apps-a", "apps-b"],
		"approverGroups": ["app-approvers", "leads"],
		"requiredApprovals": 2,
	}
}

test_disabled_policy_is_ignored if {
	d := maa.decision with input as call("DELETE", "/deviceappmanagement/mobileapps/42") with data.countersign as indexed
	not "apps-off" in d.policies
	not "nobody" in d.approverGroups
	d.operation == "delete"
}

test_reads_pass if {
	d := maa.decision with input as call("GET", "/deviceappmanagement/mobileapps/42") with data.countersign as indexed
	d == {"protected": false}
}

test_wildcard_route_ignores_reads if {
	d := maa.decision with input as call("HEAD", "/deviceappmanagement/mobileapps/42/contentversions") with data.countersign as indexed
	d == {"protected": false}
}

test_unlisted_path_passes if {
	d := maa.decision with input as call("PATCH", "/deviceappmanagement/managedappPolicies/1") with data.countersign as indexed
	d == {"protected": false}
}

test_unlisted_method_on_object_passes if {
	d := maa.decision with input as call("PUT", "/deviceappmanagement/mobileapps/42") with data.countersign as indexed
	d == {"protected": false}
}

test_assign_keys_on_the_object if {
	d := maa.decision with input as call("POST", "/deviceappmanagement/mobileapps/42/assign") with data.countersign as indexed
	d.operation == "assign"
	d.objectKey == "apps:/deviceappmanagement/mobileapps/42"
}

test_exact_route_wins_over_rest_route if {
	d := maa.decision with input as call("POST", "/deviceappmanagement/mobileapps/42/assign") with data.countersign as indexed
	d.operation == "assign"
}

test_rest_route_covers_sub_resources if {
	d := maa.decision with input as call("POST", "/deviceappmanagement/mobileapps/42/microsoft.graph.win32lobapp/contentversions") with data.countersign as indexed
	d.operation == "modify"
	d.objectKey == "apps:/deviceappmanagement/mobileapps/42"
}

test_rest_route_needs_a_segment_after_the_object if {
	d := maa.decision with input as call("POST", "/deviceappmanagement/mobileapps/42") with data.countersign as indexed
	d == {"protected": false}
}

test_case_insensitive_type_lowers_the_path if {
	d := maa.decision with input as call("PATCH", "/DeviceAppManagement/MobileApps/AbC") with data.countersign as indexed
	d.objectKey == "apps:/deviceappmanagement/mobileapps/abc"
}

test_case_sensitive_type_keeps_case if {
	d := maa.decision with input as call("PATCH", "/Scripts/Xy") with data.countersign as indexed
	d.objectKey == "Scripts:/Scripts/Xy"
	not_protected := maa.decision with input as call("PATCH", "/scripts/Xy") with data.countersign as indexed
	not_protected == {"protected": false}
}

test_collection_route_that_is_not_create_keys_on_its_path if {
	d := maa.decision with input as call("POST", "/Scripts/reindex") with data.countersign as indexed
	d.objectKey == "Scripts:/Scripts/reindex"
}

test_create_keys_on_display_name if {
	d := maa.decision with input as create_call({"displayName": "  Contoso Portal "}) with data.countersign as indexed
	d.operation == "create"
	d.objectKey == "apps:/deviceappmanagement/mobileapps#create:contoso portal"
}

test_creates_of_different_objects_do_not_collide if {
	a := maa.decision with input as create_call({"displayName": "A"}) with data.countersign as indexed
	b := maa.decision with input as create_call({"displayName": "B"}) with data.countersign as indexed
	a.objectKey != b.objectKey
}

test_nameless_create_shares_the_collection_key if {
	d := maa.decision with input as create_call({"description": "x"}) with data.countersign as indexed
	d.objectKey == "apps:/deviceappmanagement/mobileapps#create"
	e := maa.decision with input as create_call({"displayName": 7}) with data.countersign as indexed
	e.objectKey == "apps:/deviceappmanagement/mobileapps#create"
	f := maa.decision with input as create_call({"displayName": "   "}) with data.countersign as indexed
	f.objectKey == "apps:/deviceappmanagement/mobileapps#create"
}

test_no_enabled_policy_means_not_protected if {
	only_disabled := object.union(fixture, {"accessPolicies": [{"name": "off", "profileType": "apps", "approverGroups": ["x"], "requiredApprovals": 1, "enabled": false}]})
	d := maa.decision with input as call("PATCH", "/deviceappmanagement/mobileapps/42") with data.countersign as with_index(only_disabled)
	d == {"protected": false}
}

test_overlapping_profile_types_are_reported_not_decided if {
	clash := object.union(fixture, {"profileTypes": object.union(fixture.profileTypes, {"other": {"caseInsensitive": true, "routes": [{"method": "PATCH", "operation": "modify", "literals": ["deviceappmanagement", null, null], "rest": false, "objectLength": 3}]}})})
	d := maa.decision with input as call("PATCH", "/deviceappmanagement/mobileapps/42") with data.countersign as with_index(clash)
	d.ambiguous == ["apps", "other"]
	not d.profileType
}

test_root_path_passes if {
	d := maa.decision with input as call("POST", "/") with data.countersign as indexed
	d == {"protected": false}
}

test_no_data_means_not_protected if {
	d := maa.decision with input as call("PATCH", "/deviceappmanagement/mobileapps/42") with data.countersign as {}
	d == {"protected": false}
}

test_case_sensitive_create_keeps_display_name_case if {
	d := maa.decision with input as {"call": {"method": "POST", "path": "/Scripts", "query": {}, "headers": {}, "body": {"displayName": "Nightly Cleanup"}}, "caller": {"userId": "alice", "groups": []}}
		with data.countersign as indexed
	d.objectKey == "Scripts:/Scripts#create:Nightly Cleanup"
}

# API version segments (/v1.0/, /beta/): matched with or without, one object key either way.

test_versioned_path_is_protected_with_the_same_object_key if {
	plain := maa.decision with input as call("PATCH", "/deviceappmanagement/mobileapps/42") with data.countersign as indexed
	v1 := maa.decision with input as call("PATCH", "/v1.0/deviceappmanagement/mobileapps/42") with data.countersign as indexed
	beta := maa.decision with input as call("PATCH", "/beta/deviceappmanagement/mobileapps/42") with data.countersign as indexed
	v1 == plain
	beta == plain
	v1.objectKey == "apps:/deviceappmanagement/mobileapps/42"
}

test_versioned_sub_routes_and_rest_routes_match if {
	a := maa.decision with input as call("POST", "/v1.0/deviceappmanagement/mobileapps/42/assign") with data.countersign as indexed
	a.operation == "assign"
	a.objectKey == "apps:/deviceappmanagement/mobileapps/42"
	r := maa.decision with input as call("POST", "/beta/deviceappmanagement/mobileapps/42/microsoft.graph.win32lobapp/contentversions") with data.countersign as indexed
	r.operation == "modify"
	r.objectKey == "apps:/deviceappmanagement/mobileapps/42"
}

test_versioned_create_keys_like_the_plain_create if {
	body := {"displayName": "Portal"}
	plain := maa.decision with input as create_call(body) with data.countersign as indexed
	v := maa.decision with input as {"call": {"method": "POST", "path": "/v1.0/deviceappmanagement/mobileapps", "query": {}, "headers": {}, "body": body}, "caller": {"userId": "alice", "groups": []}}
		with data.countersign as indexed
	v.objectKey == plain.objectKey
	v.objectKey == "apps:/deviceappmanagement/mobileapps#create:portal"
}

test_version_segment_case_follows_the_profile_type if {
	upper := maa.decision with input as call("PATCH", "/V1.0/DeviceAppManagement/MobileApps/42") with data.countersign as indexed
	upper.objectKey == "apps:/deviceappmanagement/mobileapps/42"
	s := maa.decision with input as call("PATCH", "/V1/Scripts/Xy") with data.countersign as indexed
	s.objectKey == "Scripts:/Scripts/Xy"
	lower_v := maa.decision with input as call("PATCH", "/v1/Scripts/Xy") with data.countersign as indexed
	lower_v == {"protected": false}
}

test_unknown_version_segment_is_not_stripped if {
	d := maa.decision with input as call("PATCH", "/v2.0/deviceappmanagement/mobileapps/42") with data.countersign as indexed
	d == {"protected": false}
}

test_version_segments_belong_to_their_profile_type if {
	other_version := maa.decision with input as call("PATCH", "/V1/deviceappmanagement/mobileapps/42") with data.countersign as indexed
	other_version == {"protected": false}
	other_type := maa.decision with input as call("PATCH", "/beta/Scripts/Xy") with data.countersign as indexed
	other_type == {"protected": false}
}

test_no_configured_versions_means_no_prefix if {
	types := object.union(object.remove(fixture.profileTypes, ["apps"]), {"apps": object.remove(fixture.profileTypes.apps, ["apiVersions"])})
	unversioned := object.union(object.remove(fixture, ["profileTypes"]), {"profileTypes": types})
	d := maa.decision with input as call("PATCH", "/v1.0/deviceappmanagement/mobileapps/42") with data.countersign as with_index(unversioned)
	d == {"protected": false}
	e := maa.decision with input as call("PATCH", "/deviceappmanagement/mobileapps/42") with data.countersign as with_index(unversioned)
	e.protected
}

test_version_segment_alone_is_not_an_object if {
	d := maa.decision with input as call("POST", "/v1.0") with data.countersign as indexed
	d == {"protected": false}
}

# OData type casts (issue 8 finding 5): one object key whatever cast stands before or after the id.

test_type_name_is_a_namespace_qualified_name if {
	maa.type_name("microsoft.graph.webApp")
	maa.type_name("Contoso.Crm_2.Account")
	not maa.type_name("webApp")
	not maa.type_name("1.2")
	not maa.type_name("v1.0")
	not maa.type_name("a..b")
	not maa.type_name("a.b-c")
	not maa.type_name(".a.b")
	not maa.type_name("alice@contoso.com")
}

test_cast_before_the_id_keys_on_the_id if {
	plain := maa.decision with input as call("PATCH", "/deviceappmanagement/mobileapps/43") with data.countersign as indexed
	typed := maa.decision with input as call("PATCH", "/deviceappmanagement/mobileapps/microsoft.graph.webapp/43") with data.countersign as indexed
	typed == plain
	typed.objectKey == "apps:/deviceappmanagement/mobileapps/43"
	typed.operation == "modify"
}

test_cast_after_the_id_keys_on_the_id if {
	d := maa.decision with input as call("PATCH", "/deviceappmanagement/mobileapps/43/microsoft.graph.webapp") with data.countersign as indexed
	d.objectKey == "apps:/deviceappmanagement/mobileapps/43"
	d.operation == "modify"
	del := maa.decision with input as call("DELETE", "/deviceappmanagement/mobileapps/43/microsoft.graph.webapp") with data.countersign as indexed
	del.operation == "delete"
	del.objectKey == "apps:/deviceappmanagement/mobileapps/43"
}

test_cast_before_the_id_keeps_the_operation_of_the_sub_route if {
	del := maa.decision with input as call("DELETE", "/deviceappmanagement/mobileapps/microsoft.graph.webapp/43") with data.countersign as indexed
	del.operation == "delete"
	del.objectKey == "apps:/deviceappmanagement/mobileapps/43"
	a := maa.decision with input as call("POST", "/deviceappmanagement/mobileapps/microsoft.graph.webapp/43/assign") with data.countersign as indexed
	a.operation == "assign"
	a.objectKey == "apps:/deviceappmanagement/mobileapps/43"
	b := maa.decision with input as call("POST", "/deviceappmanagement/mobileapps/43/microsoft.graph.win32lobapp/assign") with data.countersign as indexed
	b.operation == "assign"
	b.objectKey == "apps:/deviceappmanagement/mobileapps/43"
	both := maa.decision with input as call("POST", "/deviceappmanagement/mobileapps/microsoft.graph.webapp/43/microsoft.graph.webapp/contentversions") with data.countersign as indexed
	both.operation == "modify"
	both.objectKey == "apps:/deviceappmanagement/mobileapps/43"
}

test_cast_with_an_api_version_keys_on_the_id if {
	d := maa.decision with input as call("PATCH", "/beta/deviceappmanagement/mobileapps/microsoft.graph.webapp/43") with data.countersign as indexed
	d.objectKey == "apps:/deviceappmanagement/mobileapps/43"
}

test_typed_create_keys_on_the_collection_and_display_name if {
	body := {"displayName": "Portal"}
	plain := maa.decision with input as create_call(body) with data.countersign as indexed
	typed := maa.decision with input as {"call": {"method": "POST", "path": "/v1.0/deviceappmanagement/mobileapps/microsoft.graph.win32lobapp", "query": {}, "headers": {}, "body": body}, "caller": {"userId": "alice", "groups": []}}
		with data.countersign as indexed
	typed == plain
	typed.operation == "create"
	typed.objectKey == "apps:/deviceappmanagement/mobileapps#create:portal"
	nameless := maa.decision with input as {"call": {"method": "POST", "path": "/deviceappmanagement/mobileapps/microsoft.graph.webapp", "query": {}, "headers": {}, "body": {}}, "caller": {"userId": "alice", "groups": []}}
		with data.countersign as indexed
	nameless.objectKey == "apps:/deviceappmanagement/mobileapps#create"
}

test_a_dotted_id_that_ends_the_path_is_the_id if {
	d := maa.decision with input as call("PATCH", "/deviceappmanagement/mobileapps/contoso.app") with data.countersign as indexed
	d.objectKey == "apps:/deviceappmanagement/mobileapps/contoso.app"
}

test_a_segment_that_is_not_a_type_name_is_the_id if {
	d := maa.decision with input as call("POST", "/deviceappmanagement/mobileapps/1.2/contentversions") with data.countersign as indexed
	d.objectKey == "apps:/deviceappmanagement/mobileapps/1.2"
}

test_case_sensitive_type_drops_casts_too if {
	d := maa.decision with input as call("PATCH", "/Scripts/Contoso.Script/Xy") with data.countersign as indexed
	d.objectKey == "Scripts:/Scripts/Xy"
}

test_readings_that_name_two_profile_types_are_not_decided if {
	# "other" names a literal where apps has its id: the typed reading is apps, the written one other.
	other := {"caseInsensitive": true, "routes": [{"method": "PATCH", "operation": "modify", "literals": ["deviceappmanagement", "mobileapps", "contoso.special", null], "rest": false, "objectLength": 4}]}
	clash := object.union(fixture, {"profileTypes": object.union(fixture.profileTypes, {"other": other})})
	d := maa.decision with input as call("PATCH", "/deviceappmanagement/mobileapps/contoso.special/7") with data.countersign as with_index(clash)
	d.ambiguous == ["apps", "other"]
	not d.profileType
}

# Changes that grant approval rights (issue 8 finding 3, invariant 8): the shipped "groups" profile
# type as src/config/policy-config.ts compiles config/profile-types/groups.yaml, and one collection
# of "roles" (every roles collection has these same six routes; test/policy/graph-paths.test.ts
# checks each shipped route end to end, and that this fixture still matches the YAML).
rights_fixture := {
	"profileTypes": {
		"groups": {"caseInsensitive": true, "apiVersions": ["v1.0", "beta"], "routes": [
			{"method": "POST", "operation": "create", "literals": ["groups"], "rest": false, "objectLength": 0},
			{"method": "POST", "operation": "modify", "literals": ["groups", null], "rest": false, "objectLength": 2},
			{"method": "PATCH", "operation": "modify", "literals": ["groups", null], "rest": false, "objectLength": 2},
			{"method": "PUT", "operation": "modify", "literals": ["groups", null], "rest": false, "objectLength": 2},
			{"method": "DELETE", "operation": "delete", "literals": ["groups", null], "rest": false, "objectLength": 2},
			{"method": "POST", "operation": "assign", "literals": ["groups", null, "members", "$ref"], "rest": false, "objectLength": 2},
			{"method": "POST", "operation": "assign", "literals": ["groups", null, "owners", "$ref"], "rest": false, "objectLength": 2},
			{"method": "DELETE", "operation": "assign", "literals": ["groups", null, "members", "$ref"], "rest": false, "objectLength": 2},
			{"method": "DELETE", "operation": "assign", "literals": ["groups", null, "owners", "$ref"], "rest": false, "objectLength": 2},
			{"method": "DELETE", "operation": "assign", "literals": ["groups", null, "members", null, "$ref"], "rest": false, "objectLength": 2},
			{"method": "DELETE", "operation": "assign", "literals": ["groups", null, "owners", null, "$ref"], "rest": false, "objectLength": 2},
			{"method": "*", "operation": "modify", "literals": ["groups", null], "rest": true, "objectLength": 2},
			{"method": "PATCH", "operation": "modify", "literals": ["directoryobjects", null], "rest": false, "objectLength": 2},
			{"method": "PUT", "operation": "modify", "literals": ["directoryobjects", null], "rest": false, "objectLength": 2},
			{"method": "DELETE", "operation": "delete", "literals": ["directoryobjects", null], "rest": false, "objectLength": 2},
			{"method": "POST", "operation": "modify", "literals": ["directoryobjects", null, "restore"], "rest": false, "objectLength": 2},
			{"method": "POST", "operation": "modify", "literals": ["directory", "deleteditems", null, "restore"], "rest": false, "objectLength": 3},
			{"method": "POST", "operation": "assign", "literals": ["users", null, "memberof"], "rest": false, "objectLength": 2},
			{"method": "*", "operation": "assign", "literals": ["users", null, "memberof"], "rest": true, "objectLength": 2},
			{"method": "POST", "operation": "assign", "literals": ["me", "memberof"], "rest": false, "objectLength": 2},
			{"method": "*", "operation": "assign", "literals": ["me", "memberof"], "rest": true, "objectLength": 3},
		]},
		"roles": {"caseInsensitive": true, "apiVersions": ["v1.0", "beta"], "routes": [
			{"method": "POST", "operation": "create", "literals": ["devicemanagement", "roleassignments"], "rest": false, "objectLength": 0},
			{"method": "POST", "operation": "modify", "literals": ["devicemanagement", "roleassignments", null], "rest": false, "objectLength": 3},
			{"method": "PATCH", "operation": "modify", "literals": ["devicemanagement", "roleassignments", null], "rest": false, "objectLength": 3},
			{"method": "PUT", "operation": "modify", "literals": ["devicemanagement", "roleassignments", null], "rest": false, "objectLength": 3},
			{"method": "DELETE", "operation": "delete", "literals": ["devicemanagement", "roleassignments", null], "rest": false, "objectLength": 3},
			{"method": "*", "operation": "modify", "literals": ["devicemanagement", "roleassignments", null], "rest": true, "objectLength": 3},
		]},
	},
	"accessPolicies": [
		{"name": "groups-approval", "profileType": "groups", "approverGroups": ["group-approvers"], "requiredApprovals": 1, "enabled": true},
		{"name": "roles-approval", "profileType": "roles", "approverGroups": ["role-approvers"], "requiredApprovals": 1, "enabled": true},
	],
	"roles": {"auditorGroups": []},
}

rights := with_index(rights_fixture)

rights_decision(method, path, body) := d if {
	d := maa.decision with input as {"call": {"method": method, "path": path, "query": {}, "headers": {}, "body": body}, "caller": {"userId": "mallory", "groups": ["helpdesk"]}}
		with data.countersign as rights
}

# [method, path, profile type, operation, object key]: one case per route, and the spellings around
# it, in small tests (opa test gives each test 5 s, and a decision against this fixture is not free).
rights_case_holds(c) if {
	d := rights_decision(c[0], c[1], {"displayName": "Approvers 2", "members@odata.bind": ["https://graph.microsoft.com/v1.0/users/mallory2"]})
	d.protected
	d.profileType == c[2]
	d.operation == c[3]
	d.objectKey == c[4]
	d.approverGroups == [{"groups": "group-approvers", "roles": "role-approvers"}[c[2]]]
}

test_group_creates_are_protected if {
	every c in [
		["POST", "/groups", "groups", "create", "groups:/groups#create:approvers 2"],
		["POST", "/groups/microsoft.graph.group", "groups", "create", "groups:/groups#create:approvers 2"],
		["POST", "/v1.0/groups", "groups", "create", "groups:/groups#create:approvers 2"],
	] {
		rights_case_holds(c)
	}
}

test_group_changes_and_deletes_are_protected if {
	every c in [
		["POST", "/groups/getbyids", "groups", "modify", "groups:/groups/getbyids"],
		["PATCH", "/groups/g1", "groups", "modify", "groups:/groups/g1"],
		["PUT", "/groups/g1", "groups", "modify", "groups:/groups/g1"],
		["DELETE", "/groups/g1", "groups", "delete", "groups:/groups/g1"],
	] {
		rights_case_holds(c)
	}
}

test_adding_members_and_owners_is_protected if {
	every c in [
		["POST", "/groups/g1/members/$ref", "groups", "assign", "groups:/groups/g1"],
		["POST", "/groups/g1/owners/$ref", "groups", "assign", "groups:/groups/g1"],
		["POST", "/v1.0/groups/g1/members/$ref", "groups", "assign", "groups:/groups/g1"],
		["POST", "/groups/g1/members", "groups", "modify", "groups:/groups/g1"],
	] {
		rights_case_holds(c)
	}
}

test_removing_members_and_owners_is_protected if {
	every c in [
		["DELETE", "/groups/g1/members/$ref", "groups", "assign", "groups:/groups/g1"],
		["DELETE", "/groups/g1/owners/$ref", "groups", "assign", "groups:/groups/g1"],
		["DELETE", "/groups/g1/members/u2/$ref", "groups", "assign", "groups:/groups/g1"],
		["DELETE", "/groups/g1/owners/u2/$ref", "groups", "assign", "groups:/groups/g1"],
		["DELETE", "/beta/groups/g1/owners/u2/$ref", "groups", "assign", "groups:/groups/g1"],
		["DELETE", "/groups/g1/members/u2", "groups", "modify", "groups:/groups/g1"],
	] {
		rights_case_holds(c)
	}
}

test_membership_through_a_type_cast_is_the_same_group if {
	every c in [
		["POST", "/groups/microsoft.graph.group/g1/members/$ref", "groups", "assign", "groups:/groups/g1"],
		["POST", "/groups/g1/microsoft.graph.group/owners/$ref", "groups", "assign", "groups:/groups/g1"],
	] {
		rights_case_holds(c)
	}
}

test_groups_reached_as_directory_objects_are_protected if {
	every c in [
		["PATCH", "/directoryobjects/g1", "groups", "modify", "groups:/directoryobjects/g1"],
		["PUT", "/directoryobjects/g1", "groups", "modify", "groups:/directoryobjects/g1"],
		["DELETE", "/directoryobjects/g1", "groups", "delete", "groups:/directoryobjects/g1"],
		["POST", "/directoryobjects/g1/restore", "groups", "modify", "groups:/directoryobjects/g1"],
		["POST", "/directory/deleteditems/g1/restore", "groups", "modify", "groups:/directory/deleteditems/g1"],
	] {
		rights_case_holds(c)
	}
}

test_membership_written_from_the_member_side_is_protected if {
	every c in [
		["POST", "/users/u1/memberof", "groups", "assign", "groups:/users/u1"],
		["POST", "/users/u1/memberof/$ref", "groups", "assign", "groups:/users/u1"],
		["DELETE", "/users/u1/memberof/g1/$ref", "groups", "assign", "groups:/users/u1"],
		["POST", "/me/memberof", "groups", "assign", "groups:/me/memberof"],
		["POST", "/me/memberof/$ref", "groups", "assign", "groups:/me/memberof/$ref"],
	] {
		rights_case_holds(c)
	}
}

test_role_assignment_creates_are_protected if {
	every c in [
		["POST", "/devicemanagement/roleassignments", "roles", "create", "roles:/devicemanagement/roleassignments#create:approvers 2"],
		["POST", "/devicemanagement/roleassignments/microsoft.graph.deviceandappmanagementroleassignment", "roles", "create", "roles:/devicemanagement/roleassignments#create:approvers 2"],
	] {
		rights_case_holds(c)
	}
}

test_role_assignment_changes_are_protected if {
	every c in [
		["POST", "/devicemanagement/roleassignments/ra1", "roles", "modify", "roles:/devicemanagement/roleassignments/ra1"],
		["PATCH", "/devicemanagement/roleassignments/ra1", "roles", "modify", "roles:/devicemanagement/roleassignments/ra1"],
		["PUT", "/devicemanagement/roleassignments/ra1", "roles", "modify", "roles:/devicemanagement/roleassignments/ra1"],
		["DELETE", "/devicemanagement/roleassignments/ra1", "roles", "delete", "roles:/devicemanagement/roleassignments/ra1"],
	] {
		rights_case_holds(c)
	}
}

test_role_assignment_sub_routes_and_casts_are_protected if {
	every c in [
		["POST", "/devicemanagement/roleassignments/ra1/microsoft.graph.assign", "roles", "modify", "roles:/devicemanagement/roleassignments/ra1"],
		["PATCH", "/beta/devicemanagement/roleassignments/microsoft.graph.deviceandappmanagementroleassignment/ra1", "roles", "modify", "roles:/devicemanagement/roleassignments/ra1"],
	] {
		rights_case_holds(c)
	}
}

test_reads_of_groups_and_roles_pass if {
	every path in ["/groups/g1/members", "/groups/g1/members/$ref", "/devicemanagement/roleassignments/ra1"] {
		rights_decision("GET", path, {}) == {"protected": false}
	}
}

test_other_changes_to_users_are_not_group_changes if {
	rights_decision("PATCH", "/users/u1", {}) == {"protected": false}
	rights_decision("POST", "/users/u1/ownedobjects", {}) == {"protected": false}
}
