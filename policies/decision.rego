# Entry point maa/decision: does this call change a protected object, and who must approve it?
#
# Input:  {"call": {method, path, query, headers, body?}, "caller": {userId, groups}}
#         (path already normalised by src/policy/normalize-call.ts)
# Data:   data.countersign.profileTypes / accessPolicies (from config/*.yaml, see docs/policy.md)
# Output: {"protected": false} or {"protected": true, profileType, objectKey, operation,
#         policies, approverGroups, requiredApprovals}
package maa

mutation_methods := {"POST", "PUT", "PATCH", "DELETE"}

default decision := {"protected": false}

decision := result if {
	count(route_matches) == 1
	some m in route_matches
	policies := enabled_policies(m.profileType)
	count(policies) > 0
	result := {
		"protected": true,
		"profileType": m.profileType,
		"objectKey": object_key(m),
		"operation": m.route.operation,
		"policies": sort([p.name | some p in policies]),
		"approverGroups": sort({g | some p in policies; some g in p.approverGroups}),
		"requiredApprovals": max([p.requiredApprovals | some p in policies]),
	}
}

# Two profile types claiming one call cannot be decided: the configuration loader refuses
# overlapping routes, and should it ever happen this answer fails the shape check, which denies.
decision := {"protected": true, "ambiguous": sort([m.profileType | some m in route_matches])} if {
	count(route_matches) > 1
}

# Exact-length routes win over `{rest...}` routes, so a profile type can name its sub-routes
# precisely and still cover every other change below an object.
route_matches := exact_matches if count(exact_matches) > 0

else := rest_matches

exact_matches contains m if {
	some name, pt in data.countersign.profileTypes
	some route in pt.routes
	not route.rest
	method_matches(route.method)
	segs := path_segments(pt.caseInsensitive)
	count(segs) == count(route.literals)
	every i, lit in route.literals {
		segment_matches(lit, segs[i])
	}
	m := {"profileType": name, "route": route, "segments": segs, "caseInsensitive": pt.caseInsensitive}
}

rest_matches contains m if {
	some name, pt in data.countersign.profileTypes
	some route in pt.routes
	route.rest
	method_matches(route.method)
	segs := path_segments(pt.caseInsensitive)
	count(segs) > count(route.literals)
	every i, lit in route.literals {
		segment_matches(lit, segs[i])
	}
	m := {"profileType": name, "route": route, "segments": segs, "caseInsensitive": pt.caseInsensitive}
}

method_matches(method) if {
	input.call.method in mutation_methods
	method == input.call.method
}

method_matches("*") if input.call.method in mutation_methods

# A null literal is a template parameter such as {id}: any one segment.
segment_matches(null, _)

segment_matches(lit, seg) if {
	lit != null
	lit == seg
}

path_segments(true) := [s | some s in split(lower(input.call.path), "/"); s != ""]

path_segments(false) := [s | some s in split(input.call.path, "/"); s != ""]

enabled_policies(profile_type) := [p |
	some p in data.countersign.accessPolicies
	p.enabled == true
	p.profileType == profile_type
]

# The object is the path up to the route's first parameter (the app, not its assignment),
# so that at most one open request exists per object whatever sub-route it goes through.
object_key(m) := sprintf("%s:/%s", [m.profileType, concat("/", array.slice(m.segments, 0, m.route.objectLength))]) if {
	m.route.objectLength > 0
}

# A create names no object yet: key on the collection and the new object's displayName, so two
# creates of differently named objects do not collide; nameless creates share one key.
object_key(m) := sprintf("%s:/%s#create:%s", [m.profileType, concat("/", m.segments), display_name(m.caseInsensitive)]) if {
	m.route.objectLength == 0
	display_name(m.caseInsensitive) != ""
}

object_key(m) := sprintf("%s:/%s#create", [m.profileType, concat("/", m.segments)]) if {
	m.route.objectLength == 0
	display_name(m.caseInsensitive) == ""
}

display_name(true) := lower(raw_display_name)

display_name(false) := raw_display_name

raw_display_name := trim_space(input.call.body.displayName) if is_string(input.call.body.displayName)

else := ""
