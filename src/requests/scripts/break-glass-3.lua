--[[
  break-glass: the requestor, a member of a break-glass group, completes their own open request
  without approvals. In one step: the request is marked breakGlass (who, when, the reason), becomes
  approved, enters the review queue (break-glass:unreviewed) and is claimed for its replay with a
  lease, exactly as begin-complete claims it; finish-complete then records the upstream's answer.
  The requestor is never counted as an approver: `approvals` stays as it was. A staged request
  skips every stage that is left (docs/policy.md "Break-glass"). The expiry set is updated as
  approve-3 does on approved (includes/schedule-expiry.lua, approvedExpiresAfterMs).

  Preconditions: status needsApproval; actor is the requestor.
  (Whether the actor is in a break-glass group, and the reason's length, are checked before this script.)

  Input:
    KEYS[1] request hash          maa:{d}:req:<id>
    KEYS[2] audit stream          maa:{d}:audit
    KEYS[3] key prefix            maa:{d}:   (derived in includes/keys.lua: idx:*, since:*, break-glass:*, expiry)

    ARGV[1] request id
    ARGV[2] now, ms since epoch
    ARGV[3] now, ISO-8601
    ARGV[4] actor user id
    ARGV[5] reason
    ARGV[6] SHA-256 of the reason, hex
    ARGV[7] lease end, ms since epoch
    ARGV[8] lease end, ISO-8601
    ARGV[9] claim token (random, chosen by the caller)

  Output:
    {1, HGETALL request}  marked, approved and claimed (the token is ARGV[9])
    {-1, ''}              REQUEST_NOT_FOUND
    {-2, status}          INVALID_STATE: not needsApproval
    {-6, status}          NOT_REQUESTOR

  Audit event: action break-glass, from needsApproval, to approved, with the reason's hash; and one more,
  begin-complete, from approved, to approved.
]]
--- @include "reindex"
--- @include "record-transition"
--- @include "touch"
--- @include "schedule-expiry"
--- @include "claim-replay"

local id, nowMs, nowIso, actor = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local prefix = KEYS[3]

local f = redis.call('HMGET', KEYS[1], 'status', 'requestorId', 'groups', 'decision')
local status = f[1]
if not status then return { -1, '' } end
if status ~= 'needsApproval' then return { -2, status } end
if actor ~= f[2] then return { -6, status } end

local groups = cjson.decode(f[3])
redis.call('HSET', KEYS[1], 'breakGlass', cjson.encode({ userId = actor, at = nowIso, reason = ARGV[5] }))
touch(KEYS[1], status, 'approved', nowMs, nowIso)
reindex(prefix, id, f[2], groups, status, 'approved', nowMs, nowMs)
if f[4] then scheduleExpiry(prefix, id, f[4], 'approved', nowMs) end
recordTransition(KEYS[1], KEYS[2], id, nowMs, nowIso, actor, 'break-glass', status, 'approved', ARGV[6], false)
redis.call('ZADD', derivedKeys(prefix).breakGlass('unreviewed'), nowMs, id)

claimReplay(KEYS[1], ARGV[9], actor, nowIso, ARGV[7], ARGV[8])
recordTransition(KEYS[1], KEYS[2], id, nowMs, nowIso, actor, 'begin-complete', 'approved', 'approved', nil, false)

return { 1, redis.call('HGETALL', KEYS[1]) }
