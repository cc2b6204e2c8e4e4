--[[
  schedule: the requestor schedules the replay of their approved request for a time inside a change
  window (checked before this script); the gateways' scheduler claims it once that time has come
  (claim-scheduled). Scheduling again moves the time.

  Preconditions: status approved; actor is the requestor; no claim (a replay in flight, or one whose
  outcome is unknown, is settled first).

  Input:
    KEYS[1] request hash          maa:{d}:req:<id>
    KEYS[2] audit stream          maa:{d}:audit
    KEYS[3] key prefix            maa:{d}:   (derived in includes/keys.lua: scheduled)

    ARGV[1] request id
    ARGV[2] now, ms since epoch
    ARGV[3] now, ISO-8601
    ARGV[4] actor user id
    ARGV[5] scheduled time, ms since epoch
    ARGV[6] scheduled time, ISO-8601

  Output:
    {1, HGETALL request}  scheduled
    {-1, ''}              REQUEST_NOT_FOUND
    {-2, status}          INVALID_STATE: not approved
    {-6, status}          NOT_REQUESTOR
    {-7, status}          COMPLETE_IN_PROGRESS: a claim's lease is live
    {-8, status}          OUTCOME_UNKNOWN: a claim's lease ran out without an outcome

  Audit event: action schedule, from approved, to approved.
]]
--- @include "keys"
--- @include "record-transition"

local id, nowMs, nowIso, actor = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local prefix = KEYS[3]

local f = redis.call('HMGET', KEYS[1], 'status', 'requestorId', 'claimToken', 'claimLeaseUntilMs')
local status = f[1]
if not status then return { -1, '' } end
if status ~= 'approved' then return { -2, status } end
if actor ~= f[2] then return { -6, status } end
if f[3] then
  if tonumber(f[4]) > tonumber(nowMs) then return { -7, status } end
  return { -8, status }
end

redis.call('HSET', KEYS[1], 'scheduledFor', ARGV[6], 'scheduledForMs', ARGV[5])
redis.call('ZADD', derivedKeys(prefix).scheduled, ARGV[5], id)
recordTransition(KEYS[1], KEYS[2], id, nowMs, nowIso, actor, 'schedule', status, status, nil, false)

return { 1, redis.call('HGETALL', KEYS[1]) }
