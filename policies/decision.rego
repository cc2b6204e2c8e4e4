# Entry point maa/decision: does this call change a protected object, and who must approve it?
#
# Input:  {"call": {method, path, query, headers, body?}, "caller": {userId, groups}}
#         (path already normalised by src/policy/normalize-call.ts)
# Data:   data.countersign.routeIndex / apiVersionSegments / profileTypes / accessPolicies (from config/*.yaml, see docs/policy.md)
# Output: {"protected": false} or {"protected": true, profileType, objectKey, operation,
#         policies, approverGroups, requiredApprovals}
package maa

mutation_methods := {"POST", "PUT", "PATCH", "DELETE"}

default decision := {"protected": false}

decision := result if {
	input.call.method in mutation_methods
	count(matched) == 1
	m := candidates[matched[0]]
	c := object.union(m.entry, {"offset": m.offset})
	policies := enabled_policies(c.profileType)
	count(policies) > 0
	result := {
		"protected": true,
		"profileType": c.profileType,
		"objectKey": object_key(c),
		"operation": c.route.operation,
		"policies": sort([p.name | some p in policies]),
		"approverGroups": sort({g | some p in policies; some g in p.approverGroups}),
		"requiredApprovals": max([p.requiredApprovals | some p in policies]),
	}
}

# Two profile types claiming one call cannot be decided: the configuration loader refuses
# overlapping routes, and should it ever happen this answer fails the shape check, which denies.
decision := {"protected": true, "ambiguous": sort([candidates[i].entry.profileType | some i in matched])} if {
	input.call.method in mutation_methods
	count(matched) > 1
}

# Only routes of this method whose first segment could match are looked at: routeIndex is built
# from the profile types when the YAML is loaded (METHOD -> lower-case first literal, or "{}"
# for a parameter, -> routes), so a decision does not walk every route of every profile type.
#
# A route may start at segment 0, or at segment 1 when segment 0 is an API version segment of the
# route's profile type (`/v1.0/…`, `/beta/…`: profileTypes[name].apiVersions). Both readings are
# tried, so a call is claimed with or without its version; each candidate carries its offset, and
# the object key is built from the segments after the version, so `/v1.0/x/42` and `/x/42` are
# one object with one open request.
candidates := array.concat(plain_candidates, versioned_candidates)

plain_candidates := [{"offset": 0, "entry": e} |
	some e in array.concat(indexed_routes(lowered_segments[0]), indexed_routes("{}"))
]

versioned_candidates := [{"offset": 1, "entry": e} |
	count(lowered_segments) > 1
	data.countersign.apiVersionSegments[lowered_segments[0]]
	some e in array.concat(indexed_routes(lowered_segments[1]), indexed_routes("{}"))
	version_allowed(e)
]

indexed_routes(key) := routes if {
	routes := data.countersign.routeIndex[input.call.method][key]
} else := []

# The version segment must be one of the route's own profile type, compared with the type's case rule.
version_allowed(e) if path_segments(e.caseInsensitive)[0] in data.countersign.profileTypes[e.profileType].apiVersions

# Positions in candidates of the routes that match. Exact-length routes win over `{rest...}`
# routes, so a profile type can name its sub-routes precisely and still cover every other
# change below an object.
matched := exact_matches if count(exact_matches) > 0

else := rest_matches

exact_matches := [i |
	some i, c in candidates
	not c.entry.route.rest
	segs := path_segments(c.entry.caseInsensitive)
	count(segs) - c.offset == count(c.entry.route.literals)
	every j, lit in c.entry.route.literals {
		segment_matches(lit, segs[j + c.offset])
	}
]

rest_matches := [i |
	some i, c in candidates
	c.entry.route.rest
	segs := path_segments(c.entry.caseInsensitive)
	count(segs) - c.offset > count(c.entry.route.literals)
	every j, lit in c.entry.route.literals {
		segment_matches(lit, segs[j + c.offset])
	}
]

# A null literal is a template parameter such as {id}: any one segment.
segment_matches(null, _)

segment_matches(lit, seg) if {
	lit != null
	lit == seg
}

# Rules, not functions, so each is computed once per evaluation rather than once per route.
path_segments(true) := lowered_segments

path_segments(false) := exact_segments

lowered_segments := [s | some s in split(lower(input.call.path), "/"); s != ""]

exact_segments := [s | some s in split(input.call.path, "/"); s != ""]

enabled_policies(profile_type) := [p |
	some p in data.countersign.accessPolicies
	p.enabled == true
	p.profileType == profile_type
]

# The object is the path up to the route's first parameter (the app, not its assignment),
# so that at most one open request exists per object whatever sub-route it goes through.
object_key(c) := sprintf("%s:/%s", [c.profileType, concat("/", array.slice(path_segments(c.caseInsensitive), c.offset, c.offset + c.route.objectLength))]) if {
	c.route.objectLength > 0
}

# A create names no object yet: key on the collection and the new object's displayName, so two
# creates of differently named objects do not collide; nameless creates share one key.
object_key(c) := sprintf("%s:/%s#create:%s", [c.profileType, object_path(c), display_name(c.caseInsensitive)]) if {
	c.route.objectLength == 0
	display_name(c.caseInsensitive) != ""
}

object_key(c) := sprintf("%s:/%s#create", [c.profileType, object_path(c)]) if {
	c.route.objectLength == 0
	display_name(c.caseInsensitive) == ""
}

# The collection's path without the API version segment.
object_path(c) := concat("/", array.slice(path_segments(c.caseInsensitive), c.offset, count(path_segments(c.caseInsensitive))))

display_name(true) := lower(raw_display_name)

display_name(false) := raw_display_name

raw_display_name := trim_space(input.call.body.displayName) if is_string(input.call.body.displayName)

else := ""
