# Entry point maa/decision: does this call change a protected object, and who must approve it?
#
# Input:  {"call": {method, path, query, headers, body?}, "caller": {userId, groups}}
#         (path already normalised by src/policy/normalize-call.ts)
# Data:   data.countersign.routeIndex / apiVersionSegments / profileTypes / accessPolicies (from config/*.yaml, see docs/policy.md)
# Output: {"protected": false} or {"protected": true, profileType, objectKey, operation,
#         policies, approverGroups, requiredApprovals}, plus, only when an applying policy says so,
#         stages, rejectPolicy, justification, rejectNotes, onStale, expiresAfterMs, approvedExpiresAfterMs,
#         and why (when a condition took part; also on {"protected": false})
package maa

mutation_methods := {"POST", "PUT", "PATCH", "DELETE"}

default decision := {"protected": false}

decision := object.union(result, policy_options(policies)) if {
	input.call.method in mutation_methods
	count(matched) == 1
	not conflicting_readings
	r := matched[0]
	policies := applying_policies
	count(policies) > 0
	result := {
		"protected": true,
		"profileType": r.entry.profileType,
		"objectKey": object_key(r),
		"operation": r.entry.route.operation,
		"policies": sort([p.name | some p in policies]),
		"approverGroups": sort({g | some p in policies; some g in p.approverGroups}),
		"requiredApprovals": max([p.requiredApprovals | some p in policies]),
	}
}

# A protected route whose every enabled policy was excluded by its conditions (`when`, `appliesTo`,
# `exempt`) is not protected; `why` says which condition let it pass.
decision := {"protected": false, "why": why_lines} if {
	input.call.method in mutation_methods
	count(matched) == 1
	not conflicting_readings
	count(evaluated_policies) > 0
	count(applying_policies) == 0
}

# Two profile types claiming one call cannot be decided: the configuration loader refuses
# overlapping routes, and should it ever happen this answer fails the shape check, which denies.
# The same holds when the type-cast reading and the reading as written name different types.
decision := {"protected": true, "ambiguous": sort({r.entry.profileType | some r in array.concat(matched, plain_matched)})} if {
	input.call.method in mutation_methods
	count(matched) > 0
	any_ambiguity
}

any_ambiguity if count(matched) > 1

any_ambiguity if conflicting_readings

conflicting_readings if {
	some t in matched
	t.typed
	some p in plain_matched
	p.entry.profileType != t.entry.profileType
}

# Only routes of this method whose first two segments could match are looked at: routeIndex is
# built from the profile types when the YAML is loaded (METHOD -> first key -> second key -> routes,
# see route_keys in src/config/policy-config.ts), so a decision does not walk every route of every
# profile type, nor every route under a busy first segment such as /deviceManagement.
#
# A route may start at segment 0, or at segment 1 when segment 0 is an API version segment of the
# route's profile type (`/v1.0/…`, `/beta/…`: profileTypes[name].apiVersions). Both readings are
# tried, so a call is claimed with or without its version; each candidate carries its offset, and
# the object key is built from the segments after the version, so `/v1.0/x/42` and `/x/42` are
# one object with one open request.
candidates := array.concat(plain_candidates, versioned_candidates)

plain_candidates := [{"offset": 0, "entry": e} | some e in indexed_routes(0)]

versioned_candidates := [{"offset": 1, "entry": e} |
	count(lowered_segments) > 1
	data.countersign.apiVersionSegments[lowered_segments[0]]
	some e in indexed_routes(1)
	version_allowed(e)
]

# The routes whose keys could match the call read from segment `at`: first key the segment or "{}"
# (routes that start with a parameter), second key the next segment, "{}" (a parameter there, or a
# one-literal `{rest...}` route) or "" (one-literal exact routes; also tried when a segment follows,
# because `POST /groups/microsoft.graph.group` is a typed create on `/groups`). Each key is tried
# once, so a route is never a candidate twice.
indexed_routes(at) := [e |
	some first in first_keys(at)
	some second in second_keys(at)
	some e in data.countersign.routeIndex[input.call.method][first][second]
]

first_keys(at) := ["{}"] if lowered_segments[at] == "{}"

else := [lowered_segments[at], "{}"]

second_keys(at) := ["{}", ""] if count(lowered_segments) <= at + 1

else := ["{}", ""] if lowered_segments[at + 1] == "{}"

else := [lowered_segments[at + 1], "{}", ""]

# The version segment must be one of the route's own profile type, compared with the type's case rule.
version_allowed(e) if path_segments(e.caseInsensitive)[0] in data.countersign.profileTypes[e.profileType].apiVersions

# Each candidate route reads the path as written, and, when an OData type cast stands beside the
# route's object id, also without that cast (the "typed" reading, see typed_segments): so
# `…/mobileApps/microsoft.graph.webApp/43` is app 43 and `POST …/mobileApps/microsoft.graph.win32LobApp`
# is a create on the collection. A typed reading that matches a route is the reading; otherwise
# the path as written is. Within each, exact-length routes win over `{rest...}` routes, so a
# profile type can name its sub-routes precisely and still cover every other change below an object.
matched := typed_matched if {
	path_has_cast
	count(typed_matched) > 0
} else := plain_matched

plain_matched := plain_exact if count(plain_exact) > 0

else := plain_rest

# The comprehensions are written out (not one function per reading) because this is the hot path:
# a reading object is only built for a route that matches.
plain_exact := [r |
	some c in candidates
	not c.entry.route.rest
	segs := path_segments(c.entry.caseInsensitive)
	count(segs) - c.offset == count(c.entry.route.literals)
	every j, lit in c.entry.route.literals {
		segment_matches(lit, segs[j + c.offset])
	}
	r := {"offset": c.offset, "entry": c.entry, "segments": segs, "typed": false}
]

plain_rest := [r |
	some c in candidates
	c.entry.route.rest
	segs := path_segments(c.entry.caseInsensitive)
	count(segs) - c.offset > count(c.entry.route.literals)
	every j, lit in c.entry.route.literals {
		segment_matches(lit, segs[j + c.offset])
	}
	r := {"offset": c.offset, "entry": c.entry, "segments": segs, "typed": false}
]

typed_matched := typed_exact if count(typed_exact) > 0

else := [r | some r in typed_readings; rest_match(r)]

typed_exact := [r | some r in typed_readings; exact_match(r)]

# Only built when some segment names a type: most calls have none.
typed_readings := [{"offset": c.offset, "entry": c.entry, "segments": segs, "typed": true} |
	path_has_cast
	some c in candidates
	segs := typed_segments(c)
	segs != path_segments(c.entry.caseInsensitive)
]

exact_match(r) if {
	not r.entry.route.rest
	count(r.segments) - r.offset == count(r.entry.route.literals)
	every j, lit in r.entry.route.literals {
		segment_matches(lit, r.segments[j + r.offset])
	}
}

rest_match(r) if {
	r.entry.route.rest
	count(r.segments) - r.offset > count(r.entry.route.literals)
	every j, lit in r.entry.route.literals {
		segment_matches(lit, r.segments[j + r.offset])
	}
}

# OData type casts. A segment names a type when it is a namespace-qualified name: two or more
# identifiers joined by dots (`microsoft.graph.webApp`, `Contoso.Crm.Account`). Only the casts that
# stand beside the route's object id are left out, so a dotted id elsewhere is never touched:
# - a create route (no parameter): `<collection>/<cast>` as the whole path reads as `<collection>`;
# - a route with an object id at position p: a cast at p followed by more segments (cast before the
#   id: `<collection>/<cast>/<id>/…`), then a cast right after the id (`<collection>/<id>/<cast>[/…]`).
type_name(segment) if {
	contains(segment, ".") # cheap test first: the regular expression costs more in Wasm
	regex.match(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$`, segment)
}

# The path's segments (lower case) that name a type, each tested once per decision. API version
# segments are skipped: `v1.0` is never a type name, and the regular expression is the dear part.
cast_segments := {segment |
	some segment in lowered_segments
	not data.countersign.apiVersionSegments[segment]
	type_name(segment)
}

path_has_cast if count(cast_segments) > 0

is_cast(segment) if lower(segment) in cast_segments

typed_segments(c) := array.slice(segs, 0, n) if {
	c.entry.route.objectLength == 0
	segs := path_segments(c.entry.caseInsensitive)
	n := c.offset + count(c.entry.route.literals)
	count(segs) == n + 1
	is_cast(segs[n])
} else := after_id if {
	p := c.offset + id_position(c.entry.route)
	before := drop_cast(path_segments(c.entry.caseInsensitive), p, 1)
	after_id := drop_cast(before, p + 1, 0)
}

# The route's object id: the segment of its first parameter (objectLength counts up to and
# including it). A parameterless route that is not a create keys on its whole path: no id.
id_position(route) := route.objectLength - 1 if {
	route.objectLength > 0
	not is_string(route.literals[route.objectLength - 1])
}

# The segments without the one at i when it names a type and at least `after` segments follow it.
drop_cast(segs, i, after) := array.concat(array.slice(segs, 0, i), array.slice(segs, i + 1, count(segs))) if {
	count(segs) > i + after
	is_cast(segs[i])
} else := segs

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

# The object is the path up to the route's first parameter (the app, not its assignment), in the
# reading that matched (so without a type cast), so that at most one open request exists per
# object whatever sub-route or type cast it goes through. Built with concat, which the Wasm build
# has natively, rather than sprintf, which calls out to JavaScript on every protected decision.
object_key(r) := concat("", [r.entry.profileType, ":/", concat("/", array.slice(r.segments, r.offset, r.offset + r.entry.route.objectLength))]) if {
	r.entry.route.objectLength > 0
}

# A create names no object yet: key on the collection and the new object's displayName, so two
# creates of differently named objects do not collide; nameless creates share one key.
object_key(r) := concat("", [r.entry.profileType, ":/", object_path(r), "#create:", display_name(r.entry.caseInsensitive)]) if {
	r.entry.route.objectLength == 0
	display_name(r.entry.caseInsensitive) != ""
}

object_key(r) := concat("", [r.entry.profileType, ":/", object_path(r), "#create"]) if {
	r.entry.route.objectLength == 0
	display_name(r.entry.caseInsensitive) == ""
}

# The collection's path without the API version segment (and, for a typed create, without the cast).
object_path(r) := concat("/", array.slice(r.segments, r.offset, count(r.segments)))

display_name(true) := lower(raw_display_name)

display_name(false) := raw_display_name

raw_display_name := trim_space(input.call.body.displayName) if is_string(input.call.body.displayName)

else := ""

# Conditions (docs/policy.md "Conditions"): a policy applies to a call when every clause it has
# holds. Each check says what held ("hit") or what did not ("miss"), for the decision's `why`.
# Texts are joined with concat, native in the Wasm build; sprintf would call out to JavaScript.
# Rules, not functions, so each policy's checks are computed once per decision (the one matched route).
evaluated_policies := [{"policy": p, "checks": condition_checks(p, matched[0])} |
	count(matched) == 1
	some p in enabled_policies(matched[0].entry.profileType)
]

applying_policies := [e.policy | some e in evaluated_policies; count(misses(e)) == 0]

misses(e) := [c.miss | some c in e.checks; not c.ok]

hits(e) := [c.hit | some c in e.checks; c.ok]

condition_checks(p, r) := array.concat(
	array.concat(method_checks(p), operation_checks(p, r)),
	array.concat(body_checks(p), array.concat(applies_to_checks(p), exempt_checks(p))),
)

method_checks(p) := [{
	"ok": input.call.method in p.when.methods,
	"hit": concat("", ["when.methods: ", input.call.method, " is one of ", concat(", ", p.when.methods)]),
	"miss": concat("", ["when.methods: ", input.call.method, " is not one of ", concat(", ", p.when.methods)]),
} |
	p.when.methods
]

operation_checks(p, r) := [{
	"ok": r.entry.route.operation in p.when.operations,
	"hit": concat("", ["when.operations: ", r.entry.route.operation, " is one of ", concat(", ", p.when.operations)]),
	"miss": concat("", ["when.operations: ", r.entry.route.operation, " is not one of ", concat(", ", p.when.operations)]),
} |
	p.when.operations
]

body_checks(p) := [body_check(p, sent) |
	p.when.bodyFields
	sent := [f | some f in p.when.bodyFields; body_sends(f)]
]

# A body the policy cannot read (not JSON) might set any field upstream: the clause holds.
body_check(p, sent) := {"ok": true, "hit": "when.bodyFields: the body is not JSON, so it may send any field", "miss": ""} if {
	input.call.unreadableBody == true
} else := {
	"ok": count(sent) > 0,
	"hit": concat("", ["when.bodyFields: the body sends ", concat(", ", sent)]),
	"miss": concat("", ["when.bodyFields: the body sends none of ", concat(", ", p.when.bodyFields)]),
}

# A field is sent when the JSON body is an object that has it, whatever its value (null too):
# a PATCH carries only the fields it changes.
body_sends(f) if {
	is_object(input.call.body)
	_ = input.call.body[f]
}

applies_to_checks(p) := [{
	"ok": count(in_groups) > 0,
	"hit": concat("", ["appliesTo: the requestor is in ", concat(", ", in_groups)]),
	"miss": concat("", ["appliesTo: the requestor is in none of ", concat(", ", p.appliesTo)]),
} |
	p.appliesTo
	in_groups := sort([g | some g in input.caller.groups; g in p.appliesTo])
]

exempt_checks(p) := [{
	"ok": count(in_groups) == 0,
	"hit": concat("", ["exempt: the requestor is in none of ", concat(", ", p.exempt)]),
	"miss": concat("", ["exempt: the requestor is in ", concat(", ", in_groups)]),
} |
	p.exempt
	in_groups := sort([g | some g in input.caller.groups; g in p.exempt])
]

# One line per policy a condition took part in: why it applies, or why it does not.
why_lines := array.concat(
	[concat("", [e.policy.name, " applies: ", concat("; ", h)]) |
		some e in evaluated_policies
		count(misses(e)) == 0
		h := hits(e)
		count(h) > 0
	],
	[concat("", [e.policy.name, " does not apply: ", concat("; ", m)]) |
		some e in evaluated_policies
		m := misses(e)
		count(m) > 0
	],
)

# The change-control keys of the policies that apply, each only when one of them says so, so a
# policy without them decides exactly as before. Several policies combine strictly: a reason is
# required when any requires it, the veto is `majority` only when all say so, a stale object is
# replayed (`onStale: allow`) only when all say so, expiry is the shortest.
# (object.union_n is not among opa-wasm's builtins, so the parts are joined two at a time.)
policy_options(policies) := object.union(
	object.union(
		object.union(option_stages(policies), option_required("justification", policies)),
		object.union(option_required("rejectNotes", policies), option_majority(policies)),
	),
	object.union(
		object.union(option_shortest("expiresAfterMs", policies), option_shortest("approvedExpiresAfterMs", policies)),
		object.union(option_why, option_stale_allowed(policies)),
	),
)

# The loader lets a staged policy be the only enabled policy of its profile type.
option_stages(policies) := {"stages": policies[0].stages} if {
	count(policies) == 1
	policies[0].stages
} else := {}

option_required(key, policies) := {key: "required"} if {
	some p in policies
	p[key] == "required"
} else := {}

option_majority(policies) := {"rejectPolicy": "majority"} if {
	every p in policies {
		p.rejectPolicy == "majority"
	}
} else := {}

option_stale_allowed(policies) := {"onStale": "allow"} if {
	every p in policies {
		p.onStale == "allow"
	}
} else := {}

option_shortest(key, policies) := {key: min(values)} if {
	values := [v | some p in policies; v := p[key]]
	count(values) > 0
} else := {}

option_why := {"why": why_lines} if {
	count(why_lines) > 0
} else := {}
