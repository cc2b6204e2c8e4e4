--[[
  cancel: the requestor withdraws a request before it is approved; frees its object.

  Preconditions: status needsApproval; actor is the requestor.

  Input:
    KEYS[1] request hash          maa:{d}:req:<id>
    KEYS[2] object locks hash     maa:{d}:locks
    KEYS[3] audit stream          maa:{d}:audit
    KEYS[4] key prefix            maa:{d}:   (derived in includes/keys.lua: idx:*, since:*)

    ARGV[1] request id
    ARGV[2] now, ms since epoch
    ARGV[3] now, ISO-8601
    ARGV[4] actor user id

  Output:
    {1, HGETALL request}  canceled
    {-1, ''}              REQUEST_NOT_FOUND
    {-2, status}          INVALID_STATE: not needsApproval
    {-6, status}          NOT_REQUESTOR

  Audit event: action cancel, from needsApproval, to canceled.
]]
--- @include "reindex"
--- @include "record-transition"
--- @include "release-lock"
--- @include "touch"

local id, nowMs, nowIso, actor = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local prefix = KEYS[4]

local f = redis.call('HMGET', KEYS[1], 'status', 'requestorId', 'objectKey', 'groups')
local status = f[1]
if not status then return { -1, '' } end
if status ~= 'needsApproval' then return { -2, status } end
if actor ~= f[2] then return { -6, status } end

redis.call('HSET', KEYS[1], 'cancellation', cjson.encode({ userId = actor, at = nowIso }))
touch(KEYS[1], status, 'canceled', nowMs, nowIso)
releaseLock(KEYS[2], f[3], id)
reindex(prefix, id, f[2], cjson.decode(f[4]), status, 'canceled', nowMs, nowMs)
recordTransition(KEYS[1], KEYS[3], id, nowMs, nowIso, actor, 'cancel', status, 'canceled', nil, false)

return { 1, redis.call('HGETALL', KEYS[1]) }
