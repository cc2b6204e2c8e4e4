--[[
  expire: an open request whose status has not changed for its retention period becomes
  expired and frees its object. Run by the sweep for each candidate it found in since:<status>
  or in the expiry set; the retention is checked again here because the request may have moved
  since. A request whose decision (stored at park) sets expiresAfterMs / approvedExpiresAfterMs
  is due that long after its status changed, instead of at the gateway's cutoff.

  Preconditions: status needsApproval or approved; status unchanged since the cutoff for that
  status; no claim with a live lease (a replay in flight must be able to record its outcome).

  Input:
    KEYS[1] request hash          maa:{d}:req:<id>
    KEYS[2] object locks hash     maa:{d}:locks
    KEYS[3] audit stream          maa:{d}:audit
    KEYS[4] key prefix            maa:{d}:   (derived in includes/keys.lua: idx:*, since:*)

    ARGV[1] request id
    ARGV[2] now, ms since epoch
    ARGV[3] now, ISO-8601
    ARGV[4] cutoff for needsApproval, ms (status changed at or before it: due)
    ARGV[5] cutoff for approved, ms
    ARGV[6] actor recorded in the audit event (the sweeper)

  Output:
    {1, HGETALL request}  expired
    {-1, ''}              REQUEST_NOT_FOUND
    {-2, status}          INVALID_STATE: not open
    {-7, status}          COMPLETE_IN_PROGRESS: a claim's lease is live
    {-11, status}         not yet due

  Audit event: action expire, from needsApproval or approved, to expired.
]]
--- @include "reindex"
--- @include "record-transition"
--- @include "release-lock"
--- @include "touch"
--- @include "keys"

local id, nowMs, nowIso = ARGV[1], ARGV[2], ARGV[3]
local prefix = KEYS[4]

local f = redis.call('HMGET', KEYS[1], 'status', 'requestorId', 'objectKey', 'groups', 'statusChangedMs', 'claimToken', 'claimLeaseUntilMs', 'decision')
local status = f[1]
if not status then return { -1, '' } end
local cutoff, own
local decision = {}
if f[8] then decision = cjson.decode(f[8]) end
if status == 'needsApproval' then cutoff, own = ARGV[4], decision['expiresAfterMs']
elseif status == 'approved' then cutoff, own = ARGV[5], decision['approvedExpiresAfterMs']
else return { -2, status } end
if type(own) == 'number' then cutoff = tonumber(nowMs) - own end
if tonumber(f[5]) > tonumber(cutoff) then return { -11, status } end
if f[6] and tonumber(f[7]) > tonumber(nowMs) then return { -7, status } end

redis.call('HDEL', KEYS[1], 'claimToken', 'claimUserId', 'claimAt', 'claimLeaseUntilMs', 'claimLeaseUntil')
touch(KEYS[1], status, 'expired', nowMs, nowIso)
releaseLock(KEYS[2], f[3], id)
redis.call('ZREM', derivedKeys(prefix).expiry, id)
reindex(prefix, id, f[2], cjson.decode(f[4]), status, 'expired', nowMs, nowMs)
recordTransition(KEYS[1], KEYS[3], id, nowMs, nowIso, ARGV[6], 'expire', status, 'expired', nil, false)

return { 1, redis.call('HGETALL', KEYS[1]) }
