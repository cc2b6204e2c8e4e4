# Unit tests of maa/decision for Intune's whole protection list (run with `opa test policies` or
# `countersign policy test`): compliance policies, configuration policies, device actions, tenant
# configuration, every script kind and resource operations. The fixture is the shipped YAML as
# src/config/policy-config.ts compiles it (test/policy/intune-fixture.test.ts checks there is no
# drift); roles holds only its resourceOperations routes.
package maa_test

import data.maa

intune_fixture := {
	"profileTypes": {
		"compliancePolicies": {"caseInsensitive": true, "apiVersions": ["v1.0", "beta"], "routes": [
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
		]},
		"configurationPolicies": {"caseInsensitive": true, "apiVersions": ["v1.0", "beta"], "routes": [
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
		]},
		"deviceActions": {"caseInsensitive": true, "apiVersions": ["v1.0", "beta"], "routes": [
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
		]},
		"tenantConfiguration": {"caseInsensitive": true, "apiVersions": ["v1.0", "beta"], "routes": [
			{"method": "POST", "operation": "create", "literals": ["devicemanagement", "devicecategories"], "rest": false, "objectLength": 0},
			{"method": "POST", "operation": "modify", "literals": ["devicemanagement", "devicecategories", null], "rest": false, "objectLength": 3},
			{"method": "PATCH", "operation": "modify", "literals": ["devicemanagement", "devicecategories", null], "rest": false, "objectLength": 3},
			{"method": "PUT", "operation": "modify", "literals": ["devicemanagement", "devicecategories", null], "rest": false, "objectLength": 3},
			{"method": "DELETE", "operation": "delete", "literals": ["devicemanagement", "devicecategories", null], "rest": false, "objectLength": 3},
			{"method": "*", "operation": "modify", "literals": ["devicemanagement", "devicecategories", null], "rest": true, "objectLength": 3},
		]},
		"scripts": {"caseInsensitive": true, "apiVersions": ["v1.0", "beta"], "routes": [
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
		]},
		"roles": {"caseInsensitive": true, "apiVersions": ["v1.0", "beta"], "routes": [
			{"method": "POST", "operation": "create", "literals": ["devicemanagement", "resourceoperations"], "rest": false, "objectLength": 0},
			{"method": "POST", "operation": "modify", "literals": ["devicemanagement", "resourceoperations", null], "rest": false, "objectLength": 3},
			{"method": "PATCH", "operation": "modify", "literals": ["devicemanagement", "resourceoperations", null], "rest": false, "objectLength": 3},
			{"method": "PUT", "operation": "modify", "literals": ["devicemanagement", "resourceoperations", null], "rest": false, "objectLength": 3},
			{"method": "DELETE", "operation": "delete", "literals": ["devicemanagement", "resourceoperations", null], "rest": false, "objectLength": 3},
			{"method": "*", "operation": "modify", "literals": ["devicemanagement", "resourceoperations", null], "rest": true, "objectLength": 3},
		]},
	},
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

intune := with_index(intune_fixture)

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
# approver group, with that operation and key, and the same with /v1.0 and /beta in front.
intune_case_holds(c) if {
	every prefix in ["", "/v1.0", "/beta"] {
		d := intune_decision(c[0], concat("", [prefix, c[1]]))
		d.protected
		d.profileType == c[2]
		d.operation == c[3]
		d.objectKey == c[4]
		d.approverGroups == [intune_groups[c[2]]]
	}
}

intune_passes(method, path) if {
	d := intune_decision(method, path)
	d == {"protected": false}
}

test_compliance_policies_are_protected if {
	every c in [
		["POST", "/devicemanagement/devicecompliancepolicies", "compliancePolicies", "create", "compliancePolicies:/devicemanagement/devicecompliancepolicies#create:contoso baseline"],
		["POST", "/devicemanagement/devicecompliancepolicies/microsoft.graph.windows10compliancepolicy", "compliancePolicies", "create", "compliancePolicies:/devicemanagement/devicecompliancepolicies#create:contoso baseline"],
		["PATCH", "/devicemanagement/devicecompliancepolicies/cp1", "compliancePolicies", "modify", "compliancePolicies:/devicemanagement/devicecompliancepolicies/cp1"],
		["PATCH", "/devicemanagement/devicecompliancepolicies/microsoft.graph.ioscompliancepolicy/cp1", "compliancePolicies", "modify", "compliancePolicies:/devicemanagement/devicecompliancepolicies/cp1"],
		["PUT", "/devicemanagement/devicecompliancepolicies/cp1", "compliancePolicies", "modify", "compliancePolicies:/devicemanagement/devicecompliancepolicies/cp1"],
		["DELETE", "/devicemanagement/devicecompliancepolicies/cp1", "compliancePolicies", "delete", "compliancePolicies:/devicemanagement/devicecompliancepolicies/cp1"],
		["POST", "/devicemanagement/devicecompliancepolicies/cp1/assign", "compliancePolicies", "assign", "compliancePolicies:/devicemanagement/devicecompliancepolicies/cp1"],
		["POST", "/devicemanagement/devicecompliancepolicies/cp1/assignments", "compliancePolicies", "assign", "compliancePolicies:/devicemanagement/devicecompliancepolicies/cp1"],
		["DELETE", "/devicemanagement/devicecompliancepolicies/cp1/assignments/a1", "compliancePolicies", "assign", "compliancePolicies:/devicemanagement/devicecompliancepolicies/cp1"],
		["POST", "/devicemanagement/devicecompliancepolicies/cp1/scheduledactionsforrule", "compliancePolicies", "modify", "compliancePolicies:/devicemanagement/devicecompliancepolicies/cp1"],
		["PATCH", "/devicemanagement/devicecompliancepolicies/cp1/scheduledactionsforrule/r1", "compliancePolicies", "modify", "compliancePolicies:/devicemanagement/devicecompliancepolicies/cp1"],
		["POST", "/devicemanagement/devicecompliancepolicies/cp1/scheduledactionsforrule/r1/scheduledactionconfigurations", "compliancePolicies", "modify", "compliancePolicies:/devicemanagement/devicecompliancepolicies/cp1"],
		["POST", "/devicemanagement/devicecompliancepolicies/cp1/scheduleactionsforrules", "compliancePolicies", "modify", "compliancePolicies:/devicemanagement/devicecompliancepolicies/cp1"],
		# A namespace-qualified action right after the id reads as a cast (docs/policy.md): a POST naming
		# the policy, so a modify of the same object, still parked.
		["POST", "/devicemanagement/devicecompliancepolicies/cp1/microsoft.graph.assign", "compliancePolicies", "modify", "compliancePolicies:/devicemanagement/devicecompliancepolicies/cp1"],
		["POST", "/devicemanagement/compliancepolicies", "compliancePolicies", "create", "compliancePolicies:/devicemanagement/compliancepolicies#create:contoso baseline"],
		["POST", "/devicemanagement/compliancepolicies/c2/settings", "compliancePolicies", "modify", "compliancePolicies:/devicemanagement/compliancepolicies/c2"],
		["POST", "/devicemanagement/compliancepolicies/c2/assign", "compliancePolicies", "assign", "compliancePolicies:/devicemanagement/compliancepolicies/c2"],
		["POST", "/devicemanagement/compliancepolicies/c2/setscheduledactions", "compliancePolicies", "modify", "compliancePolicies:/devicemanagement/compliancepolicies/c2"],
	] {
		intune_case_holds(c)
	}
}

test_configuration_policies_are_protected if {
	every c in [
		["POST", "/devicemanagement/configurationpolicies", "configurationPolicies", "create", "configurationPolicies:/devicemanagement/configurationpolicies#create:contoso baseline"],
		["PATCH", "/devicemanagement/configurationpolicies/sc1", "configurationPolicies", "modify", "configurationPolicies:/devicemanagement/configurationpolicies/sc1"],
		["PUT", "/devicemanagement/configurationpolicies/sc1", "configurationPolicies", "modify", "configurationPolicies:/devicemanagement/configurationpolicies/sc1"],
		["DELETE", "/devicemanagement/configurationpolicies/sc1", "configurationPolicies", "delete", "configurationPolicies:/devicemanagement/configurationpolicies/sc1"],
		["POST", "/devicemanagement/configurationpolicies/sc1/settings", "configurationPolicies", "modify", "configurationPolicies:/devicemanagement/configurationpolicies/sc1"],
		["PATCH", "/devicemanagement/configurationpolicies/sc1/settings/0", "configurationPolicies", "modify", "configurationPolicies:/devicemanagement/configurationpolicies/sc1"],
		["DELETE", "/devicemanagement/configurationpolicies/sc1/settings/0", "configurationPolicies", "modify", "configurationPolicies:/devicemanagement/configurationpolicies/sc1"],
		["POST", "/devicemanagement/configurationpolicies/sc1/assign", "configurationPolicies", "assign", "configurationPolicies:/devicemanagement/configurationpolicies/sc1"],
		["PATCH", "/devicemanagement/configurationpolicies/sc1/assignments/a1", "configurationPolicies", "assign", "configurationPolicies:/devicemanagement/configurationpolicies/sc1"],
		["POST", "/devicemanagement/configurationpolicies/sc1/createcopy", "configurationPolicies", "modify", "configurationPolicies:/devicemanagement/configurationpolicies/sc1"],
		["POST", "/devicemanagement/deviceconfigurations", "configurationPolicies", "create", "configurationPolicies:/devicemanagement/deviceconfigurations#create:contoso baseline"],
		["POST", "/devicemanagement/deviceconfigurations/microsoft.graph.windows10generalconfiguration", "configurationPolicies", "create", "configurationPolicies:/devicemanagement/deviceconfigurations#create:contoso baseline"],
		["PATCH", "/devicemanagement/deviceconfigurations/dc1", "configurationPolicies", "modify", "configurationPolicies:/devicemanagement/deviceconfigurations/dc1"],
		["PATCH", "/devicemanagement/deviceconfigurations/microsoft.graph.ioswificonfiguration/dc1", "configurationPolicies", "modify", "configurationPolicies:/devicemanagement/deviceconfigurations/dc1"],
		["DELETE", "/devicemanagement/deviceconfigurations/dc1", "configurationPolicies", "delete", "configurationPolicies:/devicemanagement/deviceconfigurations/dc1"],
		["POST", "/devicemanagement/deviceconfigurations/dc1/assign", "configurationPolicies", "assign", "configurationPolicies:/devicemanagement/deviceconfigurations/dc1"],
		["POST", "/devicemanagement/deviceconfigurations/dc1/assignments", "configurationPolicies", "assign", "configurationPolicies:/devicemanagement/deviceconfigurations/dc1"],
		["POST", "/devicemanagement/deviceconfigurations/dc1/groupassignments", "configurationPolicies", "assign", "configurationPolicies:/devicemanagement/deviceconfigurations/dc1"],
		["DELETE", "/devicemanagement/deviceconfigurations/dc1/groupassignments/g1", "configurationPolicies", "assign", "configurationPolicies:/devicemanagement/deviceconfigurations/dc1"],
		["POST", "/devicemanagement/deviceconfigurations/dc1/windowsprivacyaccesscontrols", "configurationPolicies", "modify", "configurationPolicies:/devicemanagement/deviceconfigurations/dc1"],
	] {
		intune_case_holds(c)
	}
}

test_destructive_device_actions_are_protected if {
	every c in [
		["POST", "/devicemanagement/manageddevices/d1/wipe", "deviceActions", "delete", "deviceActions:/devicemanagement/manageddevices/d1"],
		# A namespace-qualified action reads as a cast beside the id: a POST naming the device, parked as a modify.
		["POST", "/devicemanagement/manageddevices/d1/microsoft.graph.wipe", "deviceActions", "modify", "deviceActions:/devicemanagement/manageddevices/d1"],
		["POST", "/devicemanagement/manageddevices/microsoft.graph.windowsmanageddevice/d1/microsoft.graph.wipe", "deviceActions", "modify", "deviceActions:/devicemanagement/manageddevices/d1"],
		["POST", "/devicemanagement/manageddevices/d1/microsoft.graph.syncdevice", "deviceActions", "modify", "deviceActions:/devicemanagement/manageddevices/d1"],
		["POST", "/devicemanagement/manageddevices/microsoft.graph.windowsmanageddevice/d1/wipe", "deviceActions", "delete", "deviceActions:/devicemanagement/manageddevices/d1"],
		["POST", "/devicemanagement/manageddevices/d1/retire", "deviceActions", "delete", "deviceActions:/devicemanagement/manageddevices/d1"],
		["POST", "/devicemanagement/manageddevices/d1/delete", "deviceActions", "delete", "deviceActions:/devicemanagement/manageddevices/d1"],
		["DELETE", "/devicemanagement/manageddevices/d1", "deviceActions", "delete", "deviceActions:/devicemanagement/manageddevices/d1"],
		["POST", "/devicemanagement/manageddevices/d1/cleanwindowsdevice", "deviceActions", "modify", "deviceActions:/devicemanagement/manageddevices/d1"],
		["POST", "/devicemanagement/manageddevices/d1/deleteuserfromsharedappledevice", "deviceActions", "modify", "deviceActions:/devicemanagement/manageddevices/d1"],
		["POST", "/devicemanagement/manageddevices/executeaction", "deviceActions", "modify", "deviceActions:/devicemanagement/manageddevices/executeaction"],
		["POST", "/devicemanagement/manageddevices/microsoft.graph.executeaction", "deviceActions", "modify", "deviceActions:/devicemanagement/manageddevices/microsoft.graph.executeaction"],
		["POST", "/devicemanagement/comanageddevices/d1/wipe", "deviceActions", "delete", "deviceActions:/devicemanagement/comanageddevices/d1"],
		["DELETE", "/devicemanagement/comanageddevices/d1", "deviceActions", "delete", "deviceActions:/devicemanagement/comanageddevices/d1"],
		["POST", "/users/u1/manageddevices/d1/wipe", "deviceActions", "delete", "deviceActions:/users/u1"],
		["DELETE", "/users/u1/manageddevices/d1", "deviceActions", "delete", "deviceActions:/users/u1"],
		["POST", "/users/u1/manageddevices/d1/microsoft.graph.wipe", "deviceActions", "modify", "deviceActions:/users/u1"],
		["POST", "/users/u1/manageddevices/microsoft.graph.windowsmanageddevice/d1/wipe", "deviceActions", "modify", "deviceActions:/users/u1"],
		["POST", "/me/manageddevices/d1/microsoft.graph.wipe", "deviceActions", "modify", "deviceActions:/me/manageddevices/d1"],
		["POST", "/me/manageddevices/microsoft.graph.windowsmanageddevice/d1/wipe", "deviceActions", "delete", "deviceActions:/me/manageddevices/d1"],
		["POST", "/me/manageddevices/d1/retire", "deviceActions", "delete", "deviceActions:/me/manageddevices/d1"],
	] {
		intune_case_holds(c)
	}
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

test_device_categories_are_protected if {
	every c in [
		["POST", "/devicemanagement/devicecategories", "tenantConfiguration", "create", "tenantConfiguration:/devicemanagement/devicecategories#create:contoso baseline"],
		["POST", "/devicemanagement/devicecategories/microsoft.graph.devicecategory", "tenantConfiguration", "create", "tenantConfiguration:/devicemanagement/devicecategories#create:contoso baseline"],
		["PATCH", "/devicemanagement/devicecategories/cat1", "tenantConfiguration", "modify", "tenantConfiguration:/devicemanagement/devicecategories/cat1"],
		["PUT", "/devicemanagement/devicecategories/cat1", "tenantConfiguration", "modify", "tenantConfiguration:/devicemanagement/devicecategories/cat1"],
		["DELETE", "/devicemanagement/devicecategories/cat1", "tenantConfiguration", "delete", "tenantConfiguration:/devicemanagement/devicecategories/cat1"],
		["POST", "/devicemanagement/devicecategories/cat1/rolescopetags/$ref", "tenantConfiguration", "modify", "tenantConfiguration:/devicemanagement/devicecategories/cat1"],
	] {
		intune_case_holds(c)
	}
}

test_script_group_assignments_are_protected if {
	every kind in ["devicemanagementscripts", "deviceshellscripts", "devicecustomattributeshellscripts"] {
		base := concat("/", ["", "devicemanagement", kind])
		key := concat("", ["scripts:", base, "/s1"])
		every c in [
			["POST", concat("/", [base, "s1", "groupassignments"]), "scripts", "assign", key],
			["PATCH", concat("/", [base, "s1", "groupassignments", "g1"]), "scripts", "assign", key],
			["DELETE", concat("/", [base, "s1", "groupassignments", "g1"]), "scripts", "assign", key],
		] {
			intune_case_holds(c)
		}
	}
}

test_every_script_kind_is_protected if {
	every kind in ["devicemanagementscripts", "deviceshellscripts", "devicehealthscripts", "devicecompliancescripts", "devicecustomattributeshellscripts"] {
		base := concat("/", ["", "devicemanagement", kind])
		key := concat("", ["scripts:", base, "/s1"])
		every c in [
			["POST", base, "scripts", "create", concat("", ["scripts:", base, "#create:contoso baseline"])],
			["PATCH", concat("/", [base, "s1"]), "scripts", "modify", key],
			["DELETE", concat("/", [base, "s1"]), "scripts", "delete", key],
			["POST", concat("/", [base, "s1", "assign"]), "scripts", "assign", key],
			["POST", concat("/", [base, "s1", "assignments"]), "scripts", "assign", key],
			["DELETE", concat("/", [base, "s1", "assignments", "a1"]), "scripts", "assign", key],
		] {
			intune_case_holds(c)
		}
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
