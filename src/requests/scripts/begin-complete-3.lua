--[[
  begin-complete: claims the replay of an approved request with a lease, so the parked call
  reaches the upstream at most once (invariant 2). The claim stays on the request until
  finish-complete clears it; a claim whose lease ran out without an outcome means the call
  may or may not have reached the upstream, and is never resent silently.

  Preconditions: status approved; actor is the requestor; no claim with a live lease; no claim
  with an expired lease unless the caller resends on purpose (ARGV[7] = '1').

  Input:
    KEYS[1] request hash          maa:{d}:req:<id>
    KEYS[2] audit stream          maa:{d}:audit
    KEYS[3] key prefix            maa:{d}:   (derived in includes/keys.lua: idx:*)

    ARGV[1] request id
    ARGV[2] now, ms since epoch
    ARGV[3] now, ISO-8601
    ARGV[4] actor user id
    ARGV[5] lease end, ms since epoch
    ARGV[6] lease end, ISO-8601
    ARGV[7] '1' to replace a claim whose outcome is unknown, else '0'
    ARGV[8] claim token (random, chosen by the caller)

  Output:
    {1, HGETALL request}  claimed (the token is ARGV[8])
    {-1, ''}              REQUEST_NOT_FOUND
    {-2, status}          INVALID_STATE: not approved
    {-6, status}          NOT_REQUESTOR
    {-7, status}          COMPLETE_IN_PROGRESS: a claim's lease is live
    {-8, status}          OUTCOME_UNKNOWN: a claim's lease ran out without an outcome

  Audit event: action begin-complete, from approved, to approved; `resend` when it replaced an unknown outcome.
]]
--- @include "reindex"
--- @include "record-transition"
--- @include "touch"
--- @include "claim-replay"

local id, nowMs, nowIso, actor = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local prefix = KEYS[3]

local f = redis.call('HMGET', KEYS[1], 'status', 'requestorId', 'groups', 'claimToken', 'claimLeaseUntilMs')
local status = f[1]
if not status then return { -1, '' } end
if status ~= 'approved' then return { -2, status } end
if actor ~= f[2] then return { -6, status } end

local resend = false
if f[4] then
  if tonumber(f[5]) > tonumber(nowMs) then return { -7, status } end
  if ARGV[7] ~= '1' then return { -8, status } end
  resend = true
end

claimReplay(KEYS[1], ARGV[8], actor, nowIso, ARGV[5], ARGV[6])
touch(KEYS[1], status, status, nowMs, nowIso)
reindex(prefix, id, f[2], cjson.decode(f[3]), status, status, nowMs, nowMs)
recordTransition(KEYS[1], KEYS[2], id, nowMs, nowIso, actor, 'begin-complete', status, status, nil, resend)

return { 1, redis.call('HGETALL', KEYS[1]) }
