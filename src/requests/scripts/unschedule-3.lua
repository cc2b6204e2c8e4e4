--[[
  unschedule: takes a scheduled replay off the schedule before the scheduler claims it. The
  requestor does it (DELETE …/schedule); the scheduler does it too, as itself, when the time it
  reached is no longer inside a change window (the access policy changed since).

  Preconditions: status approved; a replay is scheduled; actor is the requestor, unless ARGV[5] is '1'.

  Input:
    KEYS[1] request hash          maa:{d}:req:<id>
    KEYS[2] audit stream          maa:{d}:audit
    KEYS[3] key prefix            maa:{d}:   (derived in includes/keys.lua: scheduled)

    ARGV[1] request id
    ARGV[2] now, ms since epoch
    ARGV[3] now, ISO-8601
    ARGV[4] actor user id
    ARGV[5] '1' when the scheduler unschedules (any actor), else '0'

  Output:
    {1, HGETALL request}  unscheduled
    {-1, ''}              REQUEST_NOT_FOUND
    {-2, status}          INVALID_STATE: not approved
    {-6, status}          NOT_REQUESTOR
    {-14, status}         NOT_SCHEDULED

  Audit event: action unschedule, from approved, to approved.
]]
--- @include "keys"
--- @include "record-transition"

local id, nowMs, nowIso, actor = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local prefix = KEYS[3]

local f = redis.call('HMGET', KEYS[1], 'status', 'requestorId', 'scheduledForMs')
local status = f[1]
if not status then return { -1, '' } end
if status ~= 'approved' then return { -2, status } end
if ARGV[5] ~= '1' and actor ~= f[2] then return { -6, status } end
if not f[3] then return { -14, status } end

redis.call('HDEL', KEYS[1], 'scheduledFor', 'scheduledForMs')
redis.call('ZREM', derivedKeys(prefix).scheduled, id)
recordTransition(KEYS[1], KEYS[2], id, nowMs, nowIso, actor, 'unschedule', status, status, nil, false)

return { 1, redis.call('HGETALL', KEYS[1]) }
