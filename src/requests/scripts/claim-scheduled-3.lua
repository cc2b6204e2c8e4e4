--[[
  claim-scheduled: the scheduler claims the replay of a request whose scheduled time has come, with
  the same lease as begin-complete, so that among every gateway on this Redis exactly one sends it
  (invariant 2); finish-complete then records the upstream's answer. The schedule is consumed by
  the claim: a retryable outcome leaves the request approved and unscheduled, for the requestor to
  complete or schedule again. A request that is no longer approved (completed by hand, expired)
  leaves the schedule here too.

  Preconditions: status approved; a replay is scheduled at or before now; no claim.

  Input:
    KEYS[1] request hash          maa:{d}:req:<id>
    KEYS[2] audit stream          maa:{d}:audit
    KEYS[3] key prefix            maa:{d}:   (derived in includes/keys.lua: idx:*, scheduled)

    ARGV[1] request id
    ARGV[2] now, ms since epoch
    ARGV[3] now, ISO-8601
    ARGV[4] actor recorded as the completer (the scheduler)
    ARGV[5] lease end, ms since epoch
    ARGV[6] lease end, ISO-8601
    ARGV[7] claim token (random, chosen by the caller)

  Output:
    {1, HGETALL request}  claimed (the token is ARGV[7])
    {-1, ''}              REQUEST_NOT_FOUND (taken off the schedule)
    {-2, status}          INVALID_STATE: not approved (taken off the schedule)
    {-7, status}          COMPLETE_IN_PROGRESS: a claim's lease is live
    {-8, status}          OUTCOME_UNKNOWN: a claim's lease ran out without an outcome
    {-11, status}         not yet due
    {-14, status}         NOT_SCHEDULED: another gateway claimed it, or it was unscheduled

  Audit event: action begin-complete, from approved, to approved, actor the scheduler.
]]
--- @include "reindex"
--- @include "record-transition"
--- @include "touch"
--- @include "claim-replay"

local id, nowMs, nowIso, actor = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local prefix = KEYS[3]
local scheduled = derivedKeys(prefix).scheduled

local f = redis.call('HMGET', KEYS[1], 'status', 'scheduledForMs', 'claimToken', 'claimLeaseUntilMs', 'requestorId', 'groups')
local status = f[1]
if not status then
  redis.call('ZREM', scheduled, id)
  return { -1, '' }
end
if status ~= 'approved' then
  redis.call('HDEL', KEYS[1], 'scheduledFor', 'scheduledForMs')
  redis.call('ZREM', scheduled, id)
  return { -2, status }
end
if not f[2] then
  redis.call('ZREM', scheduled, id)
  return { -14, status }
end
if tonumber(f[2]) > tonumber(nowMs) then return { -11, status } end
if f[3] then
  if tonumber(f[4]) > tonumber(nowMs) then return { -7, status } end
  return { -8, status }
end

redis.call('HDEL', KEYS[1], 'scheduledFor', 'scheduledForMs')
redis.call('ZREM', scheduled, id)
claimReplay(KEYS[1], ARGV[7], actor, nowIso, ARGV[5], ARGV[6])
touch(KEYS[1], status, status, nowMs, nowIso)
reindex(prefix, id, f[5], cjson.decode(f[6]), status, status, nowMs, nowMs)
recordTransition(KEYS[1], KEYS[2], id, nowMs, nowIso, actor, 'begin-complete', status, status, nil, false)

return { 1, redis.call('HGETALL', KEYS[1]) }
