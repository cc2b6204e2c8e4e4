--[[
  finish-complete: records how the upstream answered a claimed replay and releases the claim.
    completed (2xx/3xx)  -> completed, frees the object
    failed (4xx)         -> failed, final, frees the object, reason kept
    stale (the object changed upstream since it was parked, or the upstream answered 412 to
           If-Match) -> stale, final, frees the object, reason kept; nothing was changed upstream
    retryable (5xx, timeout, refused) -> stays approved so the requestor can try again

  Preconditions: status approved; the claim token matches the request's current claim. An
  expired lease is accepted as long as no one replaced the claim: the outcome is then known.

  Input:
    KEYS[1] request hash          maa:{d}:req:<id>
    KEYS[2] object locks hash     maa:{d}:locks
    KEYS[3] audit stream          maa:{d}:audit
    KEYS[4] key prefix            maa:{d}:   (derived in includes/keys.lua: idx:*, since:*)

    ARGV[1] request id
    ARGV[2] now, ms since epoch
    ARGV[3] now, ISO-8601
    ARGV[4] claim token
    ARGV[5] outcome: completed | failed | stale | retryable
    ARGV[6] upstream status code
    ARGV[7] upstream body preview (text, at most 4 KiB)
    ARGV[8] reason ('' when none)

  Output:
    {1, HGETALL request}  recorded
    {-1, ''}              REQUEST_NOT_FOUND
    {-2, status}          INVALID_STATE: not approved
    {-9, status}          CLAIM_LOST: no claim, or another caller's

  Audit event: action finish-complete, from approved, to completed, failed, stale or approved; actor the claim's holder.
]]
--- @include "reindex"
--- @include "record-transition"
--- @include "release-lock"
--- @include "touch"

local id, nowMs, nowIso, token, outcome = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local prefix = KEYS[4]

local f = redis.call('HMGET', KEYS[1], 'status', 'requestorId', 'objectKey', 'groups', 'claimToken', 'claimUserId')
local status = f[1]
if not status then return { -1, '' } end
if status ~= 'approved' then return { -2, status } end
if not f[5] or f[5] ~= token then return { -9, status } end

local completion = { userId = f[6], at = nowIso, upstreamStatus = tonumber(ARGV[6]), upstreamBodyPreview = ARGV[7] }
if ARGV[8] ~= '' then completion['reason'] = ARGV[8] end

local newStatus = status
if outcome == 'completed' then newStatus = 'completed'
elseif outcome == 'failed' then newStatus = 'failed'
elseif outcome == 'stale' then newStatus = 'stale'
end

redis.call('HSET', KEYS[1], 'completion', cjson.encode(completion))
redis.call('HDEL', KEYS[1], 'claimToken', 'claimUserId', 'claimAt', 'claimLeaseUntilMs', 'claimLeaseUntil')
touch(KEYS[1], status, newStatus, nowMs, nowIso)
if newStatus ~= 'approved' then releaseLock(KEYS[2], f[3], id) end
reindex(prefix, id, f[2], cjson.decode(f[4]), status, newStatus, nowMs, nowMs)
recordTransition(KEYS[1], KEYS[3], id, nowMs, nowIso, f[6], 'finish-complete', status, newStatus, nil, false)

return { 1, redis.call('HGETALL', KEYS[1]) }
