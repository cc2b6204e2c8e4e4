--[[
  create: parks a new request in needsApproval, stores its body and the snapshot of the object
  read at park (when there is one), and takes the object lock.

  Preconditions: no request with this id; the object has no open (needsApproval or approved) request.

  Input:
    KEYS[1] request hash          maa:{d}:req:<id>
    KEYS[2] body                  maa:{d}:body:<id>
    KEYS[3] object locks hash     maa:{d}:locks
    KEYS[4] audit stream          maa:{d}:audit
    KEYS[5] key prefix            maa:{d}:   (derived in includes/keys.lua: req:<holder>, snapshot:<id>, idx:*, since:*)

    ARGV[1]  request id
    ARGV[2]  now, ms since epoch
    ARGV[3]  now, ISO-8601
    ARGV[4]  requestor user id
    ARGV[5]  requestor (JSON Caller)
    ARGV[6]  business justification
    ARGV[7]  parked call (JSON ParkedCall)
    ARGV[8]  decision (JSON RequestDecision)
    ARGV[9]  object key
    ARGV[10] required approvals
    ARGV[11] approver groups (JSON array of strings)
    ARGV[12] body bytes (binary-safe)
    ARGV[13] SHA-256 (hex) of the approval code's secret, or '' for none
    ARGV[14] requestSha256: SHA-256 (hex) pinning ARGV[5..8] (src/requests/audit-chain.ts requestSha256)
    ARGV[15] snapshot record (JSON SnapshotRecord: state, at, etag, sha256, bytes, error), or '' for none
    ARGV[16] snapshot bytes (binary-safe), or '' when none were captured
    ARGV[17] contentHash of this create's audit event as its 32 bytes (binary-safe), computed by
             the gateway from ARGV[1..4] and ARGV[14] (src/requests/audit-chain.ts contentHash,
             chainVersion 2), or '' to compute it here
    ARGV[18] the chain head the gateway expects (hex SHA-256), or '' for no guess
    ARGV[19] the link the gateway computed for that head, SHA-256(ARGV[18] .. ARGV[17]) as its 32
             bytes, or '': used only when the head is ARGV[18] (includes/audit-chain.lua)

  Output:
    {1, history, head}    created; history is the request's history field (its one line, written
                          by includes/record-transition.lua): every other field is an argument,
                          so the gateway reads the request from those (no HGETALL sent back);
                          head is the chain's new head (this event's hash), for the next guess
    {-3, openRequestId}   OBJECT_LOCKED: the object has an open request
    {-10, ''}             a request with this id exists

  Also: the expiry set (includes/schedule-expiry.lua) when the decision sets expiresAfterMs.

  Audit event: action create, from none, to needsApproval, actor the requestor; it carries
  requestSha256, so the audit chain pins what was parked (includes/audit-chain.lua). Its
  contentHash comes hashed (ARGV[17]), and its link too when the gateway guessed the head right
  (ARGV[18..19]); otherwise the link is hashed here.
]]
--- @include "keys"
--- @include "reindex"
--- @include "record-transition"
--- @include "schedule-expiry"

local id, nowMs, nowIso = ARGV[1], ARGV[2], ARGV[3]
local prefix = KEYS[5]
-- Checked before any write: an error later would leave this script's earlier writes in place.
if ARGV[17] ~= nil and ARGV[17] ~= '' and #ARGV[17] ~= 32 then
  return redis.error_reply('ERR create: ARGV[17] contentHash must be 32 bytes')
end
local predicted = nil
if ARGV[18] ~= nil and ARGV[18] ~= '' then
  if ARGV[19] == nil or #ARGV[18] ~= 64 or #ARGV[19] ~= 32 or #ARGV[17] ~= 32 then
    return redis.error_reply('ERR create: ARGV[18..19] need a 64-character head, a 32-byte link and ARGV[17]')
  end
  predicted = { prev = ARGV[18], raw = ARGV[19] }
end

if redis.call('EXISTS', KEYS[1]) == 1 then return { -10, '' } end

local holder = redis.call('HGET', KEYS[3], ARGV[9])
if holder then
  local holderStatus = redis.call('HGET', derivedKeys(prefix).request(holder), 'status')
  if holderStatus == 'needsApproval' or holderStatus == 'approved' then
    return { -3, holder }
  end
  -- A lock whose holder has ended or gone is stale (should not happen): take it over.
end

local fields = {
  'id', id,
  'status', 'needsApproval',
  'createdAt', nowIso,
  'updatedAt', nowIso,
  'updatedMs', nowMs,
  'statusChangedMs', nowMs,
  'requestorId', ARGV[4],
  'requestor', ARGV[5],
  'justification', ARGV[6],
  'call', ARGV[7],
  'decision', ARGV[8],
  'objectKey', ARGV[9],
  'requiredApprovals', ARGV[10],
  'groups', ARGV[11],
  'approvals', '',
  'history', '' }
if ARGV[13] ~= '' then table.insert(fields, 'approvalCodeSha256'); table.insert(fields, ARGV[13]) end
if ARGV[14] and ARGV[14] ~= '' then table.insert(fields, 'requestSha256'); table.insert(fields, ARGV[14]) end
if ARGV[15] ~= nil and ARGV[15] ~= '' then table.insert(fields, 'snapshot'); table.insert(fields, ARGV[15]) end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('SET', KEYS[2], ARGV[12])
-- The snapshot's bytes live beside the body, not in the hash: every HGETALL of a list would carry them.
if ARGV[16] ~= nil and ARGV[16] ~= '' then redis.call('SET', derivedKeys(prefix).snapshot(id), ARGV[16]) end
redis.call('HSET', KEYS[3], ARGV[9], id)

reindex(prefix, id, ARGV[4], cjson.decode(ARGV[11]), false, 'needsApproval', nowMs, nowMs)
scheduleExpiry(prefix, id, ARGV[8], 'needsApproval', nowMs)
local _, head = recordTransition(KEYS[1], KEYS[4], id, nowMs, nowIso, ARGV[4], 'create', false, 'needsApproval', nil, false, ARGV[17], predicted)

return { 1, redis.call('HGET', KEYS[1], 'history'), head }
