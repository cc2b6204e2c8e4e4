--[[
  reject: one approver's rejection ends the request and frees its object. Under rejectPolicy
  majority (the decision stored at park says so) it ends the request only when more than half of
  the current stage's requiredApprovals have rejected in that stage (floor(n/2)+1 distinct
  approvers); a rejection short of that is recorded in `rejections` and the request stays open.
  For a staged request the actor must be in the current stage's approver groups.

  Preconditions: status needsApproval; actor is not the requestor (a requestor cancels instead);
  staged: actor in the current stage's groups; majority: actor has given no verdict yet.

  Input:
    KEYS[1] request hash          maa:{d}:req:<id>
    KEYS[2] object locks hash     maa:{d}:locks
    KEYS[3] audit stream          maa:{d}:audit
    KEYS[4] key prefix            maa:{d}:   (derived in includes/keys.lua: idx:*, since:*)

    ARGV[1] request id
    ARGV[2] now, ms since epoch
    ARGV[3] now, ISO-8601
    ARGV[4] approver user id
    ARGV[5] approver notes
    ARGV[6] SHA-256 of the notes, hex
    ARGV[7] approver's groups (JSON array of strings)

  Output:
    {1, HGETALL request}  rejected (or, majority, the rejection recorded and still needsApproval)
    {-1, ''}              REQUEST_NOT_FOUND
    {-2, status}          INVALID_STATE: not needsApproval
    {-4, status}          SELF_APPROVAL: the actor is the requestor
    {-5, status}          ALREADY_APPROVED: majority, the actor approved before
    {-15, status}         NOT_CURRENT_STAGE: staged, and the actor is not in the current stage's groups
    {-16, status}         ALREADY_REJECTED: majority, the actor rejected before

  Audit event: action reject, from needsApproval, to rejected (or needsApproval), with the notes' hash.
]]
--- @include "reindex"
--- @include "record-transition"
--- @include "release-lock"
--- @include "touch"
--- @include "verdict-stage"

local id, nowMs, nowIso, actor = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local prefix = KEYS[4]

local f = redis.call('HMGET', KEYS[1], 'status', 'requestorId', 'objectKey', 'groups', 'decision', 'approvals', 'rejections', 'requiredApprovals')
local status = f[1]
if not status then return { -1, '' } end
if status ~= 'needsApproval' then return { -2, status } end
if actor == f[2] then return { -4, status } end

local at = verdictStage(f[5], f[8], f[6], f[7], actor, ARGV[7])
-- Under the default veto an approver who approved may still reject (as before stages existed).
if at.outsideStage then return { -15, status } end
if at.majority and at.refusal == -5 then return { -5, status } end
if at.majority and at.refusal == -16 then return { -16, status } end

local entry = { userId = actor, at = nowIso, notes = ARGV[5] }
if at.stage then entry['stage'] = at.stage end
local newStatus = 'rejected'
if at.majority then
  local rejections = f[7] or ''
  local count = 1
  for line in string.gmatch(rejections, '[^\n]+') do
    if (cjson.decode(line)['stage'] or false) == at.stage then count = count + 1 end
  end
  local line = cjson.encode(entry)
  if rejections ~= '' then line = rejections .. '\n' .. line end
  redis.call('HSET', KEYS[1], 'rejections', line)
  if count < math.floor(at.required / 2) + 1 then newStatus = 'needsApproval' end
end

if newStatus == 'rejected' then
  redis.call('HSET', KEYS[1], 'rejection', cjson.encode(entry))
  releaseLock(KEYS[2], f[3], id)
end
touch(KEYS[1], status, newStatus, nowMs, nowIso)
reindex(prefix, id, f[2], cjson.decode(f[4]), status, newStatus, nowMs, nowMs)
recordTransition(KEYS[1], KEYS[3], id, nowMs, nowIso, actor, 'reject', status, newStatus, ARGV[6], false)

return { 1, redis.call('HGETALL', KEYS[1]) }
