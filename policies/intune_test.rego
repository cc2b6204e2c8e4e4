# Unit tests of maa/decision for Intune's whole protection list (run with `opa test policies` or
# `countersign policy test`): compliance policies, configuration policies, device actions, tenant
# configuration, every script kind and resource operations. The fixture is the shipped YAML as
# src/config/policy-config.ts compiles it, written out at the end of this file by
# scripts/intune-test-fixture.ts (test/policy/intune-fixture.test.ts fails when it drifts from the
# YAML); roles holds only its resourceOperations routes.
package maa_test

import data.maa

# The decision's data: the routes and their index (as src/config/policy-config.ts builds it) are
# generated below; the access policies are the shipped ones (checked by the same test).
intune := {
	"profileTypes": {name: {"caseInsensitive": true, "apiVersions": ["v1.0", "beta"], "routes": routes} | some name, routes in intune_routes},
	"apiVersionSegments": {"v1.0": true, "beta": true},
	"routeIndex": intune_index,
	"accessPolicies": [
		{"name": "compliance-policies-approval", "profileType": "compliancePolicies", "approverGroups": ["compliance-approvers"], "requiredApprovals": 1, "enabled": true},
		{"name": "configuration-policies-approval", "profileType": "configurationPolicies", "approverGroups": ["configuration-approvers"], "requiredApprovals": 1, "enabled": true},
		{"name": "device-actions-approval", "profileType": "deviceActions", "approverGroups": ["device-action-approvers"], "requiredApprovals": 1, "enabled": true},
		{"name": "tenant-configuration-approval", "profileType": "tenantConfiguration", "approverGroups": ["tenant-approvers"], "requiredApprovals": 1, "enabled": true},
		{"name": "scripts-approval", "profileType": "scripts", "approverGroups": ["script-approvers"], "requiredApprovals": 1, "enabled": true},
		{"name": "roles-approval", "profileType": "roles", "approverGroups": ["role-approvers"], "requiredApprovals": 1, "enabled": true},
	],
	"roles": {"auditorGroups": []},
}

# An index entry: route i of a profile type of the fixture.
r(profile_type, i) := {"profileType": profile_type, "caseInsensitive": true, "route": intune_routes[profile_type][i]}

intune_groups := {
	"compliancePolicies": "compliance-approvers",
	"configurationPolicies": "configuration-approvers",
	"deviceActions": "device-action-approvers",
	"tenantConfiguration": "tenant-approvers",
	"scripts": "script-approvers",
	"roles": "role-approvers",
}

intune_decision(method, path) := d if {
	d := maa.decision with input as {"call": {"method": method, "path": path, "query": {}, "headers": {}, "body": {"displayName": "Contoso Baseline"}}, "caller": {"userId": "alice", "groups": ["helpdesk"]}}
		with data.countersign as intune
}

# [method, normalised path, profile type, operation, object key]: the call is parked for the type's
# approver group, with that operation and key. Without tracing a decision here takes well under a
# millisecond; `opa test -v` traces every step and gives each test 5 s, so the cases come in small
# tests, and the versioned forms of every route are checked end to end with the real Wasm in
# test/policy/intune-routes.test.ts (here: one per profile type).
intune_case_holds(c) if {
	d := intune_decision(c[0], c[1])
	d.protected
	d.profileType == c[2]
	d.operation == c[3]
	d.objectKey == c[4]
	d.approverGroups == [intune_groups[c[2]]]
}

intune_passes(method, path) if {
	d := intune_decision(method, path)
	d == {"protected": false}
}

test_compliance_policies_are_protected_1 if {
	every c in [
		["POST", "/devicemanagement/devicecompliancepolicies", "compliancePolicies", "create", "compliancePolicies:/devicemanagement/devicecompliancepolicies#create:contoso baseline"],
		["POST", "/devicemanagement/devicecompliancepolicies/microsoft.graph.windows10compliancepolicy", "compliancePolicies", "create", "compliancePolicies:/devicemanagement/devicecompliancepolicies#create:contoso baseline"],
		["PATCH", "/devicemanagement/devicecompliancepolicies/cp1", "compliancePolicies", "modify", "compliancePolicies:/devicemanagement/devicecompliancepolicies/cp1"],
		["PATCH", "/devicemanagement/devicecompliancepolicies/microsoft.graph.ioscompliancepolicy/cp1", "compliancePolicies", "modify", "compliancePolicies:/devicemanagement/devicecompliancepolicies/cp1"],
	] {
		intune_case_holds(c)
	}
}

test_compliance_policies_are_protected_2 if {
	every c in [
		["PUT", "/devicemanagement/devicecompliancepolicies/cp1", "compliancePolicies", "modify", "compliancePolicies:/devicemanagement/devicecompliancepolicies/cp1"],
		["DELETE", "/devicemanagement/devicecompliancepolicies/cp1", "compliancePolicies", "delete", "compliancePolicies:/devicemanagement/devicecompliancepolicies/cp1"],
		["POST", "/devicemanagement/devicecompliancepolicies/cp1/assign", "compliancePolicies", "assign", "compliancePolicies:/devicemanagement/devicecompliancepolicies/cp1"],
		["POST", "/devicemanagement/devicecompliancepolicies/cp1/assignments", "compliancePolicies", "assign", "compliancePolicies:/devicemanagement/devicecompliancepolicies/cp1"],
	] {
		intune_case_holds(c)
	}
}

test_compliance_policies_are_protected_3 if {
	every c in [
		["DELETE", "/devicemanagement/devicecompliancepolicies/cp1/assignments/a1", "compliancePolicies", "assign", "compliancePolicies:/devicemanagement/devicecompliancepolicies/cp1"],
		["POST", "/devicemanagement/devicecompliancepolicies/cp1/scheduledactionsforrule", "compliancePolicies", "modify", "compliancePolicies:/devicemanagement/devicecompliancepolicies/cp1"],
		["PATCH", "/devicemanagement/devicecompliancepolicies/cp1/scheduledactionsforrule/r1", "compliancePolicies", "modify", "compliancePolicies:/devicemanagement/devicecompliancepolicies/cp1"],
		["POST", "/devicemanagement/devicecompliancepolicies/cp1/scheduledactionsforrule/r1/scheduledactionconfigurations", "compliancePolicies", "modify", "compliancePolicies:/devicemanagement/devicecompliancepolicies/cp1"],
	] {
		intune_case_holds(c)
	}
}

test_compliance_policies_are_protected_4 if {
	every c in [
		["POST", "/devicemanagement/devicecompliancepolicies/cp1/scheduleactionsforrules", "compliancePolicies", "modify", "compliancePolicies:/devicemanagement/devicecompliancepolicies/cp1"],
		# A namespace-qualified action right after the id reads as a cast (docs/policy.md): a POST naming
		# the policy, so a modify of the same object, still parked.
		["POST", "/devicemanagement/devicecompliancepolicies/cp1/microsoft.graph.assign", "compliancePolicies", "modify", "compliancePolicies:/devicemanagement/devicecompliancepolicies/cp1"],
		["POST", "/devicemanagement/compliancepolicies", "compliancePolicies", "create", "compliancePolicies:/devicemanagement/compliancepolicies#create:contoso baseline"],
		["POST", "/devicemanagement/compliancepolicies/c2/settings", "compliancePolicies", "modify", "compliancePolicies:/devicemanagement/compliancepolicies/c2"],
	] {
		intune_case_holds(c)
	}
}

test_compliance_policies_are_protected_5 if {
	every c in [
		["POST", "/devicemanagement/compliancepolicies/c2/assign", "compliancePolicies", "assign", "compliancePolicies:/devicemanagement/compliancepolicies/c2"],
		["POST", "/devicemanagement/compliancepolicies/c2/setscheduledactions", "compliancePolicies", "modify", "compliancePolicies:/devicemanagement/compliancepolicies/c2"],
	] {
		intune_case_holds(c)
	}
}

test_configuration_policies_are_protected_1 if {
	every c in [
		["POST", "/devicemanagement/configurationpolicies", "configurationPolicies", "create", "configurationPolicies:/devicemanagement/configurationpolicies#create:contoso baseline"],
		["PATCH", "/devicemanagement/configurationpolicies/sc1", "configurationPolicies", "modify", "configurationPolicies:/devicemanagement/configurationpolicies/sc1"],
		["PUT", "/devicemanagement/configurationpolicies/sc1", "configurationPolicies", "modify", "configurationPolicies:/devicemanagement/configurationpolicies/sc1"],
		["DELETE", "/devicemanagement/configurationpolicies/sc1", "configurationPolicies", "delete", "configurationPolicies:/devicemanagement/configurationpolicies/sc1"],
	] {
		intune_case_holds(c)
	}
}

test_configuration_policies_are_protected_2 if {
	every c in [
		["POST", "/devicemanagement/configurationpolicies/sc1/settings", "configurationPolicies", "modify", "configurationPolicies:/devicemanagement/configurationpolicies/sc1"],
		["PATCH", "/devicemanagement/configurationpolicies/sc1/settings/0", "configurationPolicies", "modify", "configurationPolicies:/devicemanagement/configurationpolicies/sc1"],
		["DELETE", "/devicemanagement/configurationpolicies/sc1/settings/0", "configurationPolicies", "modify", "configurationPolicies:/devicemanagement/configurationpolicies/sc1"],
		["POST", "/devicemanagement/configurationpolicies/sc1/assign", "configurationPolicies", "assign", "configurationPolicies:/devicemanagement/configurationpolicies/sc1"],
	] {
		intune_case_holds(c)
	}
}

test_configuration_policies_are_protected_3 if {
	every c in [
		["PATCH", "/devicemanagement/configurationpolicies/sc1/assignments/a1", "configurationPolicies", "assign", "configurationPolicies:/devicemanagement/configurationpolicies/sc1"],
		["POST", "/devicemanagement/configurationpolicies/sc1/createcopy", "configurationPolicies", "modify", "configurationPolicies:/devicemanagement/configurationpolicies/sc1"],
		["POST", "/devicemanagement/deviceconfigurations", "configurationPolicies", "create", "configurationPolicies:/devicemanagement/deviceconfigurations#create:contoso baseline"],
		["POST", "/devicemanagement/deviceconfigurations/microsoft.graph.windows10generalconfiguration", "configurationPolicies", "create", "configurationPolicies:/devicemanagement/deviceconfigurations#create:contoso baseline"],
	] {
		intune_case_holds(c)
	}
}

test_configuration_policies_are_protected_4 if {
	every c in [
		["PATCH", "/devicemanagement/deviceconfigurations/dc1", "configurationPolicies", "modify", "configurationPolicies:/devicemanagement/deviceconfigurations/dc1"],
		["PATCH", "/devicemanagement/deviceconfigurations/microsoft.graph.ioswificonfiguration/dc1", "configurationPolicies", "modify", "configurationPolicies:/devicemanagement/deviceconfigurations/dc1"],
		["DELETE", "/devicemanagement/deviceconfigurations/dc1", "configurationPolicies", "delete", "configurationPolicies:/devicemanagement/deviceconfigurations/dc1"],
		["POST", "/devicemanagement/deviceconfigurations/dc1/assign", "configurationPolicies", "assign", "configurationPolicies:/devicemanagement/deviceconfigurations/dc1"],
	] {
		intune_case_holds(c)
	}
}

test_configuration_policies_are_protected_5 if {
	every c in [
		["POST", "/devicemanagement/deviceconfigurations/dc1/assignments", "configurationPolicies", "assign", "configurationPolicies:/devicemanagement/deviceconfigurations/dc1"],
		["POST", "/devicemanagement/deviceconfigurations/dc1/groupassignments", "configurationPolicies", "assign", "configurationPolicies:/devicemanagement/deviceconfigurations/dc1"],
		["DELETE", "/devicemanagement/deviceconfigurations/dc1/groupassignments/g1", "configurationPolicies", "assign", "configurationPolicies:/devicemanagement/deviceconfigurations/dc1"],
		["POST", "/devicemanagement/deviceconfigurations/dc1/windowsprivacyaccesscontrols", "configurationPolicies", "modify", "configurationPolicies:/devicemanagement/deviceconfigurations/dc1"],
	] {
		intune_case_holds(c)
	}
}

test_destructive_device_actions_are_protected_1 if {
	every c in [
		["POST", "/devicemanagement/manageddevices/d1/wipe", "deviceActions", "delete", "deviceActions:/devicemanagement/manageddevices/d1"],
		# A namespace-qualified action reads as a cast beside the id: a POST naming the device, parked as a modify.
		["POST", "/devicemanagement/manageddevices/d1/microsoft.graph.wipe", "deviceActions", "modify", "deviceActions:/devicemanagement/manageddevices/d1"],
		["POST", "/devicemanagement/manageddevices/microsoft.graph.windowsmanageddevice/d1/microsoft.graph.wipe", "deviceActions", "modify", "deviceActions:/devicemanagement/manageddevices/d1"],
		["POST", "/devicemanagement/manageddevices/d1/microsoft.graph.syncdevice", "deviceActions", "modify", "deviceActions:/devicemanagement/manageddevices/d1"],
	] {
		intune_case_holds(c)
	}
}

test_destructive_device_actions_are_protected_2 if {
	every c in [
		["POST", "/devicemanagement/manageddevices/microsoft.graph.windowsmanageddevice/d1/wipe", "deviceActions", "delete", "deviceActions:/devicemanagement/manageddevices/d1"],
		["POST", "/devicemanagement/manageddevices/d1/retire", "deviceActions", "delete", "deviceActions:/devicemanagement/manageddevices/d1"],
		["POST", "/devicemanagement/manageddevices/d1/delete", "deviceActions", "delete", "deviceActions:/devicemanagement/manageddevices/d1"],
		["DELETE", "/devicemanagement/manageddevices/d1", "deviceActions", "delete", "deviceActions:/devicemanagement/manageddevices/d1"],
	] {
		intune_case_holds(c)
	}
}

test_destructive_device_actions_are_protected_3 if {
	every c in [
		["POST", "/devicemanagement/manageddevices/d1/cleanwindowsdevice", "deviceActions", "modify", "deviceActions:/devicemanagement/manageddevices/d1"],
		["POST", "/devicemanagement/manageddevices/d1/deleteuserfromsharedappledevice", "deviceActions", "modify", "deviceActions:/devicemanagement/manageddevices/d1"],
		["POST", "/devicemanagement/manageddevices/executeaction", "deviceActions", "modify", "deviceActions:/devicemanagement/manageddevices/executeaction"],
		["POST", "/devicemanagement/manageddevices/microsoft.graph.executeaction", "deviceActions", "modify", "deviceActions:/devicemanagement/manageddevices/microsoft.graph.executeaction"],
	] {
		intune_case_holds(c)
	}
}

test_destructive_device_actions_are_protected_4 if {
	every c in [
		["POST", "/devicemanagement/comanageddevices/d1/wipe", "deviceActions", "delete", "deviceActions:/devicemanagement/comanageddevices/d1"],
		["DELETE", "/devicemanagement/comanageddevices/d1", "deviceActions", "delete", "deviceActions:/devicemanagement/comanageddevices/d1"],
		["POST", "/users/u1/manageddevices/d1/wipe", "deviceActions", "delete", "deviceActions:/users/u1"],
		["DELETE", "/users/u1/manageddevices/d1", "deviceActions", "delete", "deviceActions:/users/u1"],
	] {
		intune_case_holds(c)
	}
}

test_destructive_device_actions_are_protected_5 if {
	every c in [
		["POST", "/users/u1/manageddevices/d1/microsoft.graph.wipe", "deviceActions", "modify", "deviceActions:/users/u1"],
		["POST", "/users/u1/manageddevices/microsoft.graph.windowsmanageddevice/d1/wipe", "deviceActions", "modify", "deviceActions:/users/u1"],
		["POST", "/me/manageddevices/d1/microsoft.graph.wipe", "deviceActions", "modify", "deviceActions:/me/manageddevices/d1"],
		["POST", "/me/manageddevices/microsoft.graph.windowsmanageddevice/d1/wipe", "deviceActions", "delete", "deviceActions:/me/manageddevices/d1"],
	] {
		intune_case_holds(c)
	}
}

test_destructive_device_actions_are_protected_6 if {
	every c in [
		["POST", "/me/manageddevices/d1/retire", "deviceActions", "delete", "deviceActions:/me/manageddevices/d1"],
	] {
		intune_case_holds(c)
	}
}

# The same object with /v1.0 and /beta in front, one route per profile type.
test_versioned_intune_calls_are_the_same_decision if {
	every c in [
		["PATCH", "/devicemanagement/devicecompliancepolicies/cp1"],
		["POST", "/devicemanagement/configurationpolicies/sc1/settings"],
		["POST", "/devicemanagement/manageddevices/d1/wipe"],
	] {
		versions_agree(c)
	}
}

test_versioned_intune_calls_are_the_same_decision_2 if {
	every c in [
		["DELETE", "/devicemanagement/devicecategories/cat1"],
		["POST", "/devicemanagement/devicehealthscripts/h1/assign"],
		["PATCH", "/devicemanagement/resourceoperations/op1"],
	] {
		versions_agree(c)
	}
}

versions_agree(c) if {
	plain := intune_decision(c[0], c[1])
	plain.protected
	intune_decision(c[0], concat("", ["/v1.0", c[1]])) == plain
	intune_decision(c[0], concat("", ["/beta", c[1]])) == plain
}

# Routine actions and a device's own properties pass on purpose (config/profile-types/device-actions.yaml).
test_routine_device_actions_pass if {
	intune_passes("POST", "/devicemanagement/manageddevices/d1/syncdevice")
	intune_passes("POST", "/v1.0/devicemanagement/manageddevices/d1/rebootnow")
	intune_passes("POST", "/beta/devicemanagement/manageddevices/d1/remotelock")
	intune_passes("POST", "/devicemanagement/manageddevices/d1/locatedevice")
	intune_passes("PATCH", "/devicemanagement/manageddevices/d1")
	intune_passes("GET", "/devicemanagement/manageddevices/d1")
	intune_passes("POST", "/devicemanagement/manageddevices/d1/wipe/extra")
}

test_device_categories_are_protected_1 if {
	every c in [
		["POST", "/devicemanagement/devicecategories", "tenantConfiguration", "create", "tenantConfiguration:/devicemanagement/devicecategories#create:contoso baseline"],
		["POST", "/devicemanagement/devicecategories/microsoft.graph.devicecategory", "tenantConfiguration", "create", "tenantConfiguration:/devicemanagement/devicecategories#create:contoso baseline"],
		["PATCH", "/devicemanagement/devicecategories/cat1", "tenantConfiguration", "modify", "tenantConfiguration:/devicemanagement/devicecategories/cat1"],
		["PUT", "/devicemanagement/devicecategories/cat1", "tenantConfiguration", "modify", "tenantConfiguration:/devicemanagement/devicecategories/cat1"],
	] {
		intune_case_holds(c)
	}
}

test_device_categories_are_protected_2 if {
	every c in [
		["DELETE", "/devicemanagement/devicecategories/cat1", "tenantConfiguration", "delete", "tenantConfiguration:/devicemanagement/devicecategories/cat1"],
		["POST", "/devicemanagement/devicecategories/cat1/rolescopetags/$ref", "tenantConfiguration", "modify", "tenantConfiguration:/devicemanagement/devicecategories/cat1"],
	] {
		intune_case_holds(c)
	}
}

script_cases(kind) := [
	["POST", base, "scripts", "create", concat("", ["scripts:", base, "#create:contoso baseline"])],
	["PATCH", concat("/", [base, "s1"]), "scripts", "modify", key],
	["DELETE", concat("/", [base, "s1"]), "scripts", "delete", key],
	["POST", concat("/", [base, "s1", "assign"]), "scripts", "assign", key],
	["DELETE", concat("/", [base, "s1", "assignments", "a1"]), "scripts", "assign", key],
] if {
	base := concat("/", ["", "devicemanagement", kind])
	key := concat("", ["scripts:", base, "/s1"])
}

# Where Graph has groupAssignments (PowerShell, shell and custom attribute scripts).
script_group_cases(kind) := [
	["POST", concat("/", [base, "s1", "groupassignments"]), "scripts", "assign", key],
	["PATCH", concat("/", [base, "s1", "groupassignments", "g1"]), "scripts", "assign", key],
	["DELETE", concat("/", [base, "s1", "groupassignments", "g1"]), "scripts", "assign", key],
] if {
	base := concat("/", ["", "devicemanagement", kind])
	key := concat("", ["scripts:", base, "/s1"])
}

test_devicemanagementscripts_are_protected if {
	every c in script_cases("devicemanagementscripts") {
		intune_case_holds(c)
	}
}

test_deviceshellscripts_are_protected if {
	every c in script_cases("deviceshellscripts") {
		intune_case_holds(c)
	}
}

test_devicehealthscripts_are_protected if {
	every c in script_cases("devicehealthscripts") {
		intune_case_holds(c)
	}
}

test_devicecompliancescripts_are_protected if {
	every c in script_cases("devicecompliancescripts") {
		intune_case_holds(c)
	}
}

test_devicecustomattributeshellscripts_are_protected if {
	every c in script_cases("devicecustomattributeshellscripts") {
		intune_case_holds(c)
	}
}

test_devicemanagementscripts_group_assignments_are_protected if {
	every c in script_group_cases("devicemanagementscripts") {
		intune_case_holds(c)
	}
}

test_deviceshellscripts_group_assignments_are_protected if {
	every c in script_group_cases("deviceshellscripts") {
		intune_case_holds(c)
	}
}

test_devicecustomattributeshellscripts_group_assignments_are_protected if {
	every c in script_group_cases("devicecustomattributeshellscripts") {
		intune_case_holds(c)
	}
}

# Graph has groupAssignments for PowerShell, shell and custom attribute scripts; on the other kinds
# an upstream that took one would still change the script: the {rest...} route parks it as modify.
test_script_group_assignments_where_graph_has_none_are_still_protected if {
	d := intune_decision("POST", "/devicemanagement/devicehealthscripts/h1/groupassignments")
	d.operation == "modify"
	e := intune_decision("PATCH", "/devicemanagement/devicehealthscripts/h1/groupassignments/g1")
	e.operation == "modify"
	e.objectKey == "scripts:/devicemanagement/devicehealthscripts/h1"
	f := intune_decision("POST", "/beta/devicemanagement/devicehealthscripts/enableglobalscripts")
	f.objectKey == "scripts:/devicemanagement/devicehealthscripts/enableglobalscripts"
}

test_resource_operations_are_protected if {
	every c in [
		["POST", "/devicemanagement/resourceoperations", "roles", "create", "roles:/devicemanagement/resourceoperations#create:contoso baseline"],
		["PATCH", "/devicemanagement/resourceoperations/op1", "roles", "modify", "roles:/devicemanagement/resourceoperations/op1"],
		["DELETE", "/devicemanagement/resourceoperations/op1", "roles", "delete", "roles:/devicemanagement/resourceoperations/op1"],
	] {
		intune_case_holds(c)
	}
}

# Neighbours of the protected collections under /deviceManagement stay unprotected: the two-segment
# route index must not claim what no route names.
test_unlisted_device_management_routes_pass if {
	intune_passes("PATCH", "/devicemanagement/windowsautopilotdeploymentprofiles/p1")
	intune_passes("POST", "/devicemanagement/devicecompliancepolicysettingstatesummaries")
	intune_passes("PATCH", "/devicemanagement")
	intune_passes("GET", "/devicemanagement/devicecompliancepolicies/cp1")
}

# generated by scripts/intune-test-fixture.ts: start
intune_routes := {
	"compliancePolicies": [
		{"method": "POST", "operation": "create", "literals": ["devicemanagement", "devicecompliancepolicies"], "rest": false, "objectLength": 0},
		{"method": "POST", "operation": "modify", "literals": ["devicemanagement", "devicecompliancepolicies", null], "rest": false, "objectLength": 3},
		{"method": "PATCH", "operation": "modify", "literals": ["devicemanagement", "devicecompliancepolicies", null], "rest": false, "objectLength": 3},
		{"method": "PUT", "operation": "modify", "literals": ["devicemanagement", "devicecompliancepolicies", null], "rest": false, "objectLength": 3},
		{"method": "DELETE", "operation": "delete", "literals": ["devicemanagement", "devicecompliancepolicies", null], "rest": false, "objectLength": 3},
		{"method": "POST", "operation": "assign", "literals": ["devicemanagement", "devicecompliancepolicies", null, "assign"], "rest": false, "objectLength": 3},
		{"method": "POST", "operation": "assign", "literals": ["devicemanagement", "devicecompliancepolicies", null, "assignments"], "rest": false, "objectLength": 3},
		{"method": "PATCH", "operation": "assign", "literals": ["devicemanagement", "devicecompliancepolicies", null, "assignments", null], "rest": false, "objectLength": 3},
		{"method": "PUT", "operation": "assign", "literals": ["devicemanagement", "devicecompliancepolicies", null, "assignments", null], "rest": false, "objectLength": 3},
		{"method": "DELETE", "operation": "assign", "literals": ["devicemanagement", "devicecompliancepolicies", null, "assignments", null], "rest": false, "objectLength": 3},
		{"method": "POST", "operation": "modify", "literals": ["devicemanagement", "devicecompliancepolicies", null, "scheduledactionsforrule"], "rest": false, "objectLength": 3},
		{"method": "PATCH", "operation": "modify", "literals": ["devicemanagement", "devicecompliancepolicies", null, "scheduledactionsforrule", null], "rest": false, "objectLength": 3},
		{"method": "PUT", "operation": "modify", "literals": ["devicemanagement", "devicecompliancepolicies", null, "scheduledactionsforrule", null], "rest": false, "objectLength": 3},
		{"method": "DELETE", "operation": "modify", "literals": ["devicemanagement", "devicecompliancepolicies", null, "scheduledactionsforrule", null], "rest": false, "objectLength": 3},
		{"method": "POST", "operation": "modify", "literals": ["devicemanagement", "devicecompliancepolicies", null, "scheduleactionsforrules"], "rest": false, "objectLength": 3},
		{"method": "*", "operation": "modify", "literals": ["devicemanagement", "devicecompliancepolicies", null], "rest": true, "objectLength": 3},
		{"method": "POST", "operation": "create", "literals": ["devicemanagement", "compliancepolicies"], "rest": false, "objectLength": 0},
		{"method": "POST", "operation": "modify", "literals": ["devicemanagement", "compliancepolicies", null], "rest": false, "objectLength": 3},
		{"method": "PATCH", "operation": "modify", "literals": ["devicemanagement", "compliancepolicies", null], "rest": false, "objectLength": 3},
		{"method": "PUT", "operation": "modify", "literals": ["devicemanagement", "compliancepolicies", null], "rest": false, "objectLength": 3},
		{"method": "DELETE", "operation": "delete", "literals": ["devicemanagement", "compliancepolicies", null], "rest": false, "objectLength": 3},
		{"method": "POST", "operation": "assign", "literals": ["devicemanagement", "compliancepolicies", null, "assign"], "rest": false, "objectLength": 3},
		{"method": "POST", "operation": "assign", "literals": ["devicemanagement", "compliancepolicies", null, "assignments"], "rest": false, "objectLength": 3},
		{"method": "PATCH", "operation": "assign", "literals": ["devicemanagement", "compliancepolicies", null, "assignments", null], "rest": false, "objectLength": 3},
		{"method": "PUT", "operation": "assign", "literals": ["devicemanagement", "compliancepolicies", null, "assignments", null], "rest": false, "objectLength": 3},
		{"method": "DELETE", "operation": "assign", "literals": ["devicemanagement", "compliancepolicies", null, "assignments", null], "rest": false, "objectLength": 3},
		{"method": "POST", "operation": "modify", "literals": ["devicemanagement", "compliancepolicies", null, "settings"], "rest": false, "objectLength": 3},
		{"method": "PATCH", "operation": "modify", "literals": ["devicemanagement", "compliancepolicies", null, "settings", null], "rest": false, "objectLength": 3},
		{"method": "PUT", "operation": "modify", "literals": ["devicemanagement", "compliancepolicies", null, "settings", null], "rest": false, "objectLength": 3},
		{"method": "DELETE", "operation": "modify", "literals": ["devicemanagement", "compliancepolicies", null, "settings", null], "rest": false, "objectLength": 3},
		{"method": "POST", "operation": "modify", "literals": ["devicemanagement", "compliancepolicies", null, "scheduledactionsforrule"], "rest": false, "objectLength": 3},
		{"method": "PATCH", "operation": "modify", "literals": ["devicemanagement", "compliancepolicies", null, "scheduledactionsforrule", null], "rest": false, "objectLength": 3},
		{"method": "PUT", "operation": "modify", "literals": ["devicemanagement", "compliancepolicies", null, "scheduledactionsforrule", null], "rest": false, "objectLength": 3},
		{"method": "DELETE", "operation": "modify", "literals": ["devicemanagement", "compliancepolicies", null, "scheduledactionsforrule", null], "rest": false, "objectLength": 3},
		{"method": "*", "operation": "modify", "literals": ["devicemanagement", "compliancepolicies", null], "rest": true, "objectLength": 3},
	],
	"configurationPolicies": [
		{"method": "POST", "operation": "create", "literals": ["devicemanagement", "configurationpolicies"], "rest": false, "objectLength": 0},
		{"method": "POST", "operation": "modify", "literals": ["devicemanagement", "configurationpolicies", null], "rest": false, "objectLength": 3},
		{"method": "PATCH", "operation": "modify", "literals": ["devicemanagement", "configurationpolicies", null], "rest": false, "objectLength": 3},
		{"method": "PUT", "operation": "modify", "literals": ["devicemanagement", "configurationpolicies", null], "rest": false, "objectLength": 3},
		{"method": "DELETE", "operation": "delete", "literals": ["devicemanagement", "configurationpolicies", null], "rest": false, "objectLength": 3},
		{"method": "POST", "operation": "assign", "literals": ["devicemanagement", "configurationpolicies", null, "assign"], "rest": false, "objectLength": 3},
		{"method": "POST", "operation": "assign", "literals": ["devicemanagement", "configurationpolicies", null, "assignments"], "rest": false, "objectLength": 3},
		{"method": "PATCH", "operation": "assign", "literals": ["devicemanagement", "configurationpolicies", null, "assignments", null], "rest": false, "objectLength": 3},
		{"method": "PUT", "operation": "assign", "literals": ["devicemanagement", "configurationpolicies", null, "assignments", null], "rest": false, "objectLength": 3},
		{"method": "DELETE", "operation": "assign", "literals": ["devicemanagement", "configurationpolicies", null, "assignments", null], "rest": false, "objectLength": 3},
		{"method": "POST", "operation": "modify", "literals": ["devicemanagement", "configurationpolicies", null, "settings"], "rest": false, "objectLength": 3},
		{"method": "PATCH", "operation": "modify", "literals": ["devicemanagement", "configurationpolicies", null, "settings", null], "rest": false, "objectLength": 3},
		{"method": "PUT", "operation": "modify", "literals": ["devicemanagement", "configurationpolicies", null, "settings", null], "rest": false, "objectLength": 3},
		{"method": "DELETE", "operation": "modify", "literals": ["devicemanagement", "configurationpolicies", null, "settings", null], "rest": false, "objectLength": 3},
		{"method": "*", "operation": "modify", "literals": ["devicemanagement", "configurationpolicies", null], "rest": true, "objectLength": 3},
		{"method": "POST", "operation": "create", "literals": ["devicemanagement", "deviceconfigurations"], "rest": false, "objectLength": 0},
		{"method": "POST", "operation": "modify", "literals": ["devicemanagement", "deviceconfigurations", null], "rest": false, "objectLength": 3},
		{"method": "PATCH", "operation": "modify", "literals": ["devicemanagement", "deviceconfigurations", null], "rest": false, "objectLength": 3},
		{"method": "PUT", "operation": "modify", "literals": ["devicemanagement", "deviceconfigurations", null], "rest": false, "objectLength": 3},
		{"method": "DELETE", "operation": "delete", "literals": ["devicemanagement", "deviceconfigurations", null], "rest": false, "objectLength": 3},
		{"method": "POST", "operation": "assign", "literals": ["devicemanagement", "deviceconfigurations", null, "assign"], "rest": false, "objectLength": 3},
		{"method": "POST", "operation": "assign", "literals": ["devicemanagement", "deviceconfigurations", null, "assignments"], "rest": false, "objectLength": 3},
		{"method": "PATCH", "operation": "assign", "literals": ["devicemanagement", "deviceconfigurations", null, "assignments", null], "rest": false, "objectLength": 3},
		{"method": "PUT", "operation": "assign", "literals": ["devicemanagement", "deviceconfigurations", null, "assignments", null], "rest": false, "objectLength": 3},
		{"method": "DELETE", "operation": "assign", "literals": ["devicemanagement", "deviceconfigurations", null, "assignments", null], "rest": false, "objectLength": 3},
		{"method": "POST", "operation": "assign", "literals": ["devicemanagement", "deviceconfigurations", null, "groupassignments"], "rest": false, "objectLength": 3},
		{"method": "PATCH", "operation": "assign", "literals": ["devicemanagement", "deviceconfigurations", null, "groupassignments", null], "rest": false, "objectLength": 3},
		{"method": "PUT", "operation": "assign", "literals": ["devicemanagement", "deviceconfigurations", null, "groupassignments", null], "rest": false, "objectLength": 3},
		{"method": "DELETE", "operation": "assign", "literals": ["devicemanagement", "deviceconfigurations", null, "groupassignments", null], "rest": false, "objectLength": 3},
		{"method": "*", "operation": "modify", "literals": ["devicemanagement", "deviceconfigurations", null], "rest": true, "objectLength": 3},
	],
	"deviceActions": [
		{"method": "POST", "operation": "delete", "literals": ["devicemanagement", "manageddevices", null, "wipe"], "rest": false, "objectLength": 3},
		{"method": "POST", "operation": "delete", "literals": ["devicemanagement", "manageddevices", null, "retire"], "rest": false, "objectLength": 3},
		{"method": "POST", "operation": "delete", "literals": ["devicemanagement", "manageddevices", null, "delete"], "rest": false, "objectLength": 3},
		{"method": "POST", "operation": "modify", "literals": ["devicemanagement", "manageddevices", null, "cleanwindowsdevice"], "rest": false, "objectLength": 3},
		{"method": "POST", "operation": "modify", "literals": ["devicemanagement", "manageddevices", null, "deleteuserfromsharedappledevice"], "rest": false, "objectLength": 3},
		{"method": "DELETE", "operation": "delete", "literals": ["devicemanagement", "manageddevices", null], "rest": false, "objectLength": 3},
		{"method": "POST", "operation": "modify", "literals": ["devicemanagement", "manageddevices", null], "rest": false, "objectLength": 3},
		{"method": "POST", "operation": "delete", "literals": ["devicemanagement", "comanageddevices", null, "wipe"], "rest": false, "objectLength": 3},
		{"method": "POST", "operation": "delete", "literals": ["devicemanagement", "comanageddevices", null, "retire"], "rest": false, "objectLength": 3},
		{"method": "POST", "operation": "delete", "literals": ["devicemanagement", "comanageddevices", null, "delete"], "rest": false, "objectLength": 3},
		{"method": "POST", "operation": "modify", "literals": ["devicemanagement", "comanageddevices", null, "cleanwindowsdevice"], "rest": false, "objectLength": 3},
		{"method": "POST", "operation": "modify", "literals": ["devicemanagement", "comanageddevices", null, "deleteuserfromsharedappledevice"], "rest": false, "objectLength": 3},
		{"method": "DELETE", "operation": "delete", "literals": ["devicemanagement", "comanageddevices", null], "rest": false, "objectLength": 3},
		{"method": "POST", "operation": "modify", "literals": ["devicemanagement", "comanageddevices", null], "rest": false, "objectLength": 3},
		{"method": "POST", "operation": "delete", "literals": ["users", null, "manageddevices", null, "wipe"], "rest": false, "objectLength": 2},
		{"method": "POST", "operation": "delete", "literals": ["users", null, "manageddevices", null, "retire"], "rest": false, "objectLength": 2},
		{"method": "POST", "operation": "delete", "literals": ["users", null, "manageddevices", null, "delete"], "rest": false, "objectLength": 2},
		{"method": "POST", "operation": "modify", "literals": ["users", null, "manageddevices", null, "cleanwindowsdevice"], "rest": false, "objectLength": 2},
		{"method": "POST", "operation": "modify", "literals": ["users", null, "manageddevices", null, "deleteuserfromsharedappledevice"], "rest": false, "objectLength": 2},
		{"method": "DELETE", "operation": "delete", "literals": ["users", null, "manageddevices", null], "rest": false, "objectLength": 2},
		{"method": "POST", "operation": "modify", "literals": ["users", null, "manageddevices", null], "rest": false, "objectLength": 2},
		{"method": "*", "operation": "modify", "literals": ["users", null, "manageddevices", null], "rest": true, "objectLength": 2},
		{"method": "POST", "operation": "delete", "literals": ["me", "manageddevices", null, "wipe"], "rest": false, "objectLength": 3},
		{"method": "POST", "operation": "delete", "literals": ["me", "manageddevices", null, "retire"], "rest": false, "objectLength": 3},
		{"method": "POST", "operation": "delete", "literals": ["me", "manageddevices", null, "delete"], "rest": false, "objectLength": 3},
		{"method": "POST", "operation": "modify", "literals": ["me", "manageddevices", null, "cleanwindowsdevice"], "rest": false, "objectLength": 3},
		{"method": "POST", "operation": "modify", "literals": ["me", "manageddevices", null, "deleteuserfromsharedappledevice"], "rest": false, "objectLength": 3},
		{"method": "DELETE", "operation": "delete", "literals": ["me", "manageddevices", null], "rest": false, "objectLength": 3},
		{"method": "POST", "operation": "modify", "literals": ["me", "manageddevices", null], "rest": false, "objectLength": 3},
	],
	"roles": [
		{"method": "POST", "operation": "create", "literals": ["devicemanagement", "resourceoperations"], "rest": false, "objectLength": 0},
		{"method": "POST", "operation": "modify", "literals": ["devicemanagement", "resourceoperations", null], "rest": false, "objectLength": 3},
		{"method": "PATCH", "operation": "modify", "literals": ["devicemanagement", "resourceoperations", null], "rest": false, "objectLength": 3},
		{"method": "PUT", "operation": "modify", "literals": ["devicemanagement", "resourceoperations", null], "rest": false, "objectLength": 3},
		{"method": "DELETE", "operation": "delete", "literals": ["devicemanagement", "resourceoperations", null], "rest": false, "objectLength": 3},
		{"method": "*", "operation": "modify", "literals": ["devicemanagement", "resourceoperations", null], "rest": true, "objectLength": 3},
	],
	"scripts": [
		{"method": "POST", "operation": "create", "literals": ["devicemanagement", "devicemanagementscripts"], "rest": false, "objectLength": 0},
		{"method": "POST", "operation": "modify", "literals": ["devicemanagement", "devicemanagementscripts", null], "rest": false, "objectLength": 3},
		{"method": "PATCH", "operation": "modify", "literals": ["devicemanagement", "devicemanagementscripts", null], "rest": false, "objectLength": 3},
		{"method": "PUT", "operation": "modify", "literals": ["devicemanagement", "devicemanagementscripts", null], "rest": false, "objectLength": 3},
		{"method": "DELETE", "operation": "delete", "literals": ["devicemanagement", "devicemanagementscripts", null], "rest": false, "objectLength": 3},
		{"method": "POST", "operation": "assign", "literals": ["devicemanagement", "devicemanagementscripts", null, "assign"], "rest": false, "objectLength": 3},
		{"method": "POST", "operation": "assign", "literals": ["devicemanagement", "devicemanagementscripts", null, "assignments"], "rest": false, "objectLength": 3},
		{"method": "PATCH", "operation": "assign", "literals": ["devicemanagement", "devicemanagementscripts", null, "assignments", null], "rest": false, "objectLength": 3},
		{"method": "PUT", "operation": "assign", "literals": ["devicemanagement", "devicemanagementscripts", null, "assignments", null], "rest": false, "objectLength": 3},
		{"method": "DELETE", "operation": "assign", "literals": ["devicemanagement", "devicemanagementscripts", null, "assignments", null], "rest": false, "objectLength": 3},
		{"method": "POST", "operation": "assign", "literals": ["devicemanagement", "devicemanagementscripts", null, "groupassignments"], "rest": false, "objectLength": 3},
		{"method": "PATCH", "operation": "assign", "literals": ["devicemanagement", "devicemanagementscripts", null, "groupassignments", null], "rest": false, "objectLength": 3},
		{"method": "PUT", "operation": "assign", "literals": ["devicemanagement", "devicemanagementscripts", null, "groupassignments", null], "rest": false, "objectLength": 3},
		{"method": "DELETE", "operation": "assign", "literals": ["devicemanagement", "devicemanagementscripts", null, "groupassignments", null], "rest": false, "objectLength": 3},
		{"method": "*", "operation": "modify", "literals": ["devicemanagement", "devicemanagementscripts", null], "rest": true, "objectLength": 3},
		{"method": "POST", "operation": "create", "literals": ["devicemanagement", "deviceshellscripts"], "rest": false, "objectLength": 0},
		{"method": "POST", "operation": "modify", "literals": ["devicemanagement", "deviceshellscripts", null], "rest": false, "objectLength": 3},
		{"method": "PATCH", "operation": "modify", "literals": ["devicemanagement", "deviceshellscripts", null], "rest": false, "objectLength": 3},
		{"method": "PUT", "operation": "modify", "literals": ["devicemanagement", "deviceshellscripts", null], "rest": false, "objectLength": 3},
		{"method": "DELETE", "operation": "delete", "literals": ["devicemanagement", "deviceshellscripts", null], "rest": false, "objectLength": 3},
		{"method": "POST", "operation": "assign", "literals": ["devicemanagement", "deviceshellscripts", null, "assign"], "rest": false, "objectLength": 3},
		{"method": "POST", "operation": "assign", "literals": ["devicemanagement", "deviceshellscripts", null, "assignments"], "rest": false, "objectLength": 3},
		{"method": "PATCH", "operation": "assign", "literals": ["devicemanagement", "deviceshellscripts", null, "assignments", null], "rest": false, "objectLength": 3},
		{"method": "PUT", "operation": "assign", "literals": ["devicemanagement", "deviceshellscripts", null, "assignments", null], "rest": false, "objectLength": 3},
		{"method": "DELETE", "operation": "assign", "literals": ["devicemanagement", "deviceshellscripts", null, "assignments", null], "rest": false, "objectLength": 3},
		{"method": "POST", "operation": "assign", "literals": ["devicemanagement", "deviceshellscripts", null, "groupassignments"], "rest": false, "objectLength": 3},
		{"method": "PATCH", "operation": "assign", "literals": ["devicemanagement", "deviceshellscripts", null, "groupassignments", null], "rest": false, "objectLength": 3},
		{"method": "PUT", "operation": "assign", "literals": ["devicemanagement", "deviceshellscripts", null, "groupassignments", null], "rest": false, "objectLength": 3},
		{"method": "DELETE", "operation": "assign", "literals": ["devicemanagement", "deviceshellscripts", null, "groupassignments", null], "rest": false, "objectLength": 3},
		{"method": "*", "operation": "modify", "literals": ["devicemanagement", "deviceshellscripts", null], "rest": true, "objectLength": 3},
		{"method": "POST", "operation": "create", "literals": ["devicemanagement", "devicehealthscripts"], "rest": false, "objectLength": 0},
		{"method": "POST", "operation": "modify", "literals": ["devicemanagement", "devicehealthscripts", null], "rest": false, "objectLength": 3},
		{"method": "PATCH", "operation": "modify", "literals": ["devicemanagement", "devicehealthscripts", null], "rest": false, "objectLength": 3},
		{"method": "PUT", "operation": "modify", "literals": ["devicemanagement", "devicehealthscripts", null], "rest": false, "objectLength": 3},
		{"method": "DELETE", "operation": "delete", "literals": ["devicemanagement", "devicehealthscripts", null], "rest": false, "objectLength": 3},
		{"method": "POST", "operation": "assign", "literals": ["devicemanagement", "devicehealthscripts", null, "assign"], "rest": false, "objectLength": 3},
		{"method": "POST", "operation": "assign", "literals": ["devicemanagement", "devicehealthscripts", null, "assignments"], "rest": false, "objectLength": 3},
		{"method": "PATCH", "operation": "assign", "literals": ["devicemanagement", "devicehealthscripts", null, "assignments", null], "rest": false, "objectLength": 3},
		{"method": "PUT", "operation": "assign", "literals": ["devicemanagement", "devicehealthscripts", null, "assignments", null], "rest": false, "objectLength": 3},
		{"method": "DELETE", "operation": "assign", "literals": ["devicemanagement", "devicehealthscripts", null, "assignments", null], "rest": false, "objectLength": 3},
		{"method": "*", "operation": "modify", "literals": ["devicemanagement", "devicehealthscripts", null], "rest": true, "objectLength": 3},
		{"method": "POST", "operation": "create", "literals": ["devicemanagement", "devicecompliancescripts"], "rest": false, "objectLength": 0},
		{"method": "POST", "operation": "modify", "literals": ["devicemanagement", "devicecompliancescripts", null], "rest": false, "objectLength": 3},
		{"method": "PATCH", "operation": "modify", "literals": ["devicemanagement", "devicecompliancescripts", null], "rest": false, "objectLength": 3},
		{"method": "PUT", "operation": "modify", "literals": ["devicemanagement", "devicecompliancescripts", null], "rest": false, "objectLength": 3},
		{"method": "DELETE", "operation": "delete", "literals": ["devicemanagement", "devicecompliancescripts", null], "rest": false, "objectLength": 3},
		{"method": "POST", "operation": "assign", "literals": ["devicemanagement", "devicecompliancescripts", null, "assign"], "rest": false, "objectLength": 3},
		{"method": "POST", "operation": "assign", "literals": ["devicemanagement", "devicecompliancescripts", null, "assignments"], "rest": false, "objectLength": 3},
		{"method": "PATCH", "operation": "assign", "literals": ["devicemanagement", "devicecompliancescripts", null, "assignments", null], "rest": false, "objectLength": 3},
		{"method": "PUT", "operation": "assign", "literals": ["devicemanagement", "devicecompliancescripts", null, "assignments", null], "rest": false, "objectLength": 3},
		{"method": "DELETE", "operation": "assign", "literals": ["devicemanagement", "devicecompliancescripts", null, "assignments", null], "rest": false, "objectLength": 3},
		{"method": "*", "operation": "modify", "literals": ["devicemanagement", "devicecompliancescripts", null], "rest": true, "objectLength": 3},
		{"method": "POST", "operation": "create", "literals": ["devicemanagement", "devicecustomattributeshellscripts"], "rest": false, "objectLength": 0},
		{"method": "POST", "operation": "modify", "literals": ["devicemanagement", "devicecustomattributeshellscripts", null], "rest": false, "objectLength": 3},
		{"method": "PATCH", "operation": "modify", "literals": ["devicemanagement", "devicecustomattributeshellscripts", null], "rest": false, "objectLength": 3},
		{"method": "PUT", "operation": "modify", "literals": ["devicemanagement", "devicecustomattributeshellscripts", null], "rest": false, "objectLength": 3},
		{"method": "DELETE", "operation": "delete", "literals": ["devicemanagement", "devicecustomattributeshellscripts", null], "rest": false, "objectLength": 3},
		{"method": "POST", "operation": "assign", "literals": ["devicemanagement", "devicecustomattributeshellscripts", null, "assign"], "rest": false, "objectLength": 3},
		{"method": "POST", "operation": "assign", "literals": ["devicemanagement", "devicecustomattributeshellscripts", null, "assignments"], "rest": false, "objectLength": 3},
		{"method": "PATCH", "operation": "assign", "literals": ["devicemanagement", "devicecustomattributeshellscripts", null, "assignments", null], "rest": false, "objectLength": 3},
		{"method": "PUT", "operation": "assign", "literals": ["devicemanagement", "devicecustomattributeshellscripts", null, "assignments", null], "rest": false, "objectLength": 3},
		{"method": "DELETE", "operation": "assign", "literals": ["devicemanagement", "devicecustomattributeshellscripts", null, "assignments", null], "rest": false, "objectLength": 3},
		{"method": "POST", "operation": "assign", "literals": ["devicemanagement", "devicecustomattributeshellscripts", null, "groupassignments"], "rest": false, "objectLength": 3},
		{"method": "PATCH", "operation": "assign", "literals": ["devicemanagement", "devicecustomattributeshellscripts", null, "groupassignments", null], "rest": false, "objectLength": 3},
		{"method": "PUT", "operation": "assign", "literals": ["devicemanagement", "devicecustomattributeshellscripts", null, "groupassignments", null], "rest": false, "objectLength": 3},
		{"method": "DELETE", "operation": "assign", "literals": ["devicemanagement", "devicecustomattributeshellscripts", null, "groupassignments", null], "rest": false, "objectLength": 3},
		{"method": "*", "operation": "modify", "literals": ["devicemanagement", "devicecustomattributeshellscripts", null], "rest": true, "objectLength": 3},
	],
	"tenantConfiguration": [
		{"method": "POST", "operation": "create", "literals": ["devicemanagement", "devicecategories"], "rest": false, "objectLength": 0},
		{"method": "POST", "operation": "modify", "literals": ["devicemanagement", "devicecategories", null], "rest": false, "objectLength": 3},
		{"method": "PATCH", "operation": "modify", "literals": ["devicemanagement", "devicecategories", null], "rest": false, "objectLength": 3},
		{"method": "PUT", "operation": "modify", "literals": ["devicemanagement", "devicecategories", null], "rest": false, "objectLength": 3},
		{"method": "DELETE", "operation": "delete", "literals": ["devicemanagement", "devicecategories", null], "rest": false, "objectLength": 3},
		{"method": "*", "operation": "modify", "literals": ["devicemanagement", "devicecategories", null], "rest": true, "objectLength": 3},
	],
}

intune_index := {
	"POST": {
		"devicemanagement": {
			"devicecompliancepolicies": [r("compliancePolicies", 0), r("compliancePolicies", 1), r("compliancePolicies", 5), r("compliancePolicies", 6), r("compliancePolicies", 10), r("compliancePolicies", 14), r("compliancePolicies", 15)],
			"compliancepolicies": [r("compliancePolicies", 16), r("compliancePolicies", 17), r("compliancePolicies", 21), r("compliancePolicies", 22), r("compliancePolicies", 26), r("compliancePolicies", 30), r("compliancePolicies", 34)],
			"configurationpolicies": [r("configurationPolicies", 0), r("configurationPolicies", 1), r("configurationPolicies", 5), r("configurationPolicies", 6), r("configurationPolicies", 10), r("configurationPolicies", 14)],
			"deviceconfigurations": [r("configurationPolicies", 15), r("configurationPolicies", 16), r("configurationPolicies", 20), r("configurationPolicies", 21), r("configurationPolicies", 25), r("configurationPolicies", 29)],
			"manageddevices": [r("deviceActions", 0), r("deviceActions", 1), r("deviceActions", 2), r("deviceActions", 3), r("deviceActions", 4), r("deviceActions", 6)],
			"comanageddevices": [r("deviceActions", 7), r("deviceActions", 8), r("deviceActions", 9), r("deviceActions", 10), r("deviceActions", 11), r("deviceActions", 13)],
			"resourceoperations": [r("roles", 0), r("roles", 1), r("roles", 5)],
			"devicemanagementscripts": [r("scripts", 0), r("scripts", 1), r("scripts", 5), r("scripts", 6), r("scripts", 10), r("scripts", 14)],
			"deviceshellscripts": [r("scripts", 15), r("scripts", 16), r("scripts", 20), r("scripts", 21), r("scripts", 25), r("scripts", 29)],
			"devicehealthscripts": [r("scripts", 30), r("scripts", 31), r("scripts", 35), r("scripts", 36), r("scripts", 40)],
			"devicecompliancescripts": [r("scripts", 41), r("scripts", 42), r("scripts", 46), r("scripts", 47), r("scripts", 51)],
			"devicecustomattributeshellscripts": [r("scripts", 52), r("scripts", 53), r("scripts", 57), r("scripts", 58), r("scripts", 62), r("scripts", 66)],
			"devicecategories": [r("tenantConfiguration", 0), r("tenantConfiguration", 1), r("tenantConfiguration", 5)],
		},
		"users": {
			"{}": [r("deviceActions", 14), r("deviceActions", 15), r("deviceActions", 16), r("deviceActions", 17), r("deviceActions", 18), r("deviceActions", 20), r("deviceActions", 21)],
		},
		"me": {
			"manageddevices": [r("deviceActions", 22), r("deviceActions", 23), r("deviceActions", 24), r("deviceActions", 25), r("deviceActions", 26), r("deviceActions", 28)],
		},
	},
	"PUT": {
		"devicemanagement": {
			"devicecompliancepolicies": [r("compliancePolicies", 3), r("compliancePolicies", 8), r("compliancePolicies", 12), r("compliancePolicies", 15)],
			"compliancepolicies": [r("compliancePolicies", 19), r("compliancePolicies", 24), r("compliancePolicies", 28), r("compliancePolicies", 32), r("compliancePolicies", 34)],
			"configurationpolicies": [r("configurationPolicies", 3), r("configurationPolicies", 8), r("configurationPolicies", 12), r("configurationPolicies", 14)],
			"deviceconfigurations": [r("configurationPolicies", 18), r("configurationPolicies", 23), r("configurationPolicies", 27), r("configurationPolicies", 29)],
			"resourceoperations": [r("roles", 3), r("roles", 5)],
			"devicemanagementscripts": [r("scripts", 3), r("scripts", 8), r("scripts", 12), r("scripts", 14)],
			"deviceshellscripts": [r("scripts", 18), r("scripts", 23), r("scripts", 27), r("scripts", 29)],
			"devicehealthscripts": [r("scripts", 33), r("scripts", 38), r("scripts", 40)],
			"devicecompliancescripts": [r("scripts", 44), r("scripts", 49), r("scripts", 51)],
			"devicecustomattributeshellscripts": [r("scripts", 55), r("scripts", 60), r("scripts", 64), r("scripts", 66)],
			"devicecategories": [r("tenantConfiguration", 3), r("tenantConfiguration", 5)],
		},
		"users": {
			"{}": [r("deviceActions", 21)],
		},
	},
	"PATCH": {
		"devicemanagement": {
			"devicecompliancepolicies": [r("compliancePolicies", 2), r("compliancePolicies", 7), r("compliancePolicies", 11), r("compliancePolicies", 15)],
			"compliancepolicies": [r("compliancePolicies", 18), r("compliancePolicies", 23), r("compliancePolicies", 27), r("compliancePolicies", 31), r("compliancePolicies", 34)],
			"configurationpolicies": [r("configurationPolicies", 2), r("configurationPolicies", 7), r("configurationPolicies", 11), r("configurationPolicies", 14)],
			"deviceconfigurations": [r("configurationPolicies", 17), r("configurationPolicies", 22), r("configurationPolicies", 26), r("configurationPolicies", 29)],
			"resourceoperations": [r("roles", 2), r("roles", 5)],
			"devicemanagementscripts": [r("scripts", 2), r("scripts", 7), r("scripts", 11), r("scripts", 14)],
			"deviceshellscripts": [r("scripts", 17), r("scripts", 22), r("scripts", 26), r("scripts", 29)],
			"devicehealthscripts": [r("scripts", 32), r("scripts", 37), r("scripts", 40)],
			"devicecompliancescripts": [r("scripts", 43), r("scripts", 48), r("scripts", 51)],
			"devicecustomattributeshellscripts": [r("scripts", 54), r("scripts", 59), r("scripts", 63), r("scripts", 66)],
			"devicecategories": [r("tenantConfiguration", 2), r("tenantConfiguration", 5)],
		},
		"users": {
			"{}": [r("deviceActions", 21)],
		},
	},
	"DELETE": {
		"devicemanagement": {
			"devicecompliancepolicies": [r("compliancePolicies", 4), r("compliancePolicies", 9), r("compliancePolicies", 13), r("compliancePolicies", 15)],
			"compliancepolicies": [r("compliancePolicies", 20), r("compliancePolicies", 25), r("compliancePolicies", 29), r("compliancePolicies", 33), r("compliancePolicies", 34)],
			"configurationpolicies": [r("configurationPolicies", 4), r("configurationPolicies", 9), r("configurationPolicies", 13), r("configurationPolicies", 14)],
			"deviceconfigurations": [r("configurationPolicies", 19), r("configurationPolicies", 24), r("configurationPolicies", 28), r("configurationPolicies", 29)],
			"manageddevices": [r("deviceActions", 5)],
			"comanageddevices": [r("deviceActions", 12)],
			"resourceoperations": [r("roles", 4), r("roles", 5)],
			"devicemanagementscripts": [r("scripts", 4), r("scripts", 9), r("scripts", 13), r("scripts", 14)],
			"deviceshellscripts": [r("scripts", 19), r("scripts", 24), r("scripts", 28), r("scripts", 29)],
			"devicehealthscripts": [r("scripts", 34), r("scripts", 39), r("scripts", 40)],
			"devicecompliancescripts": [r("scripts", 45), r("scripts", 50), r("scripts", 51)],
			"devicecustomattributeshellscripts": [r("scripts", 56), r("scripts", 61), r("scripts", 65), r("scripts", 66)],
			"devicecategories": [r("tenantConfiguration", 4), r("tenantConfiguration", 5)],
		},
		"users": {
			"{}": [r("deviceActions", 19), r("deviceActions", 21)],
		},
		"me": {
			"manageddevices": [r("deviceActions", 27)],
		},
	},
}

# generated by scripts/intune-test-fixture.ts: end
