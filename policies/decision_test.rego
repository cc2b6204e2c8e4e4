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

entry_key(e) := lower(e.route.literals[0]) if is_string(e.route.literals[0])

else := "{}"

route_index(pts) := {m: by_key |
	some m in {"POST", "PUT", "PATCH", "DELETE"}
	by_key := {k: [e | some e in index_entries(pts); m in entry_methods(e); entry_key(e) == k] |
		some e2 in index_entries(pts)
		m in entry_methods(e2)
		k := entry_key(e2)
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
