--[[
  approve: records one approver's verdict; the request becomes approved once requiredApprovals
  distinct approvers, none of them the requestor, have approved.

  Preconditions: status needsApproval; actor is not the requestor; actor has not approved yet.
  (Whether the actor is in an approver group is the policy's call, made before this script.)

  Input:
    KEYS[1] request hash          maa:{d}:req:<id>
    KEYS[2] audit stream          maa:{d}:audit
    KEYS[3] key prefix            maa:{d}:   (derived in includes/keys.lua: idx:*, since:*)

    ARGV[1] request id
    ARGV[2] now, ms since epoch
    ARGV[3] now, ISO-8601
    ARGV[4] approver user id
    ARGV[5] approver notes
    ARGV[6] SHA-256 of the notes, hex

  Output:
    {1, HGETALL request}  approval recorded (status needsApproval or approved)
    {-1, ''}              REQUEST_NOT_FOUND
    {-2, status}          INVALID_STATE: not needsApproval
    {-4, status}          SELF_APPROVAL: the actor is the requestor
    {-5, status}          ALREADY_APPROVED: the actor approved before

  Audit event: action approve, from needsApproval, to needsApproval or approved, with the notes' hash.
]]
--- @include "reindex"
--- @include "record-transition"
--- @include "touch"

local id, nowMs, nowIso, actor = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local prefix = KEYS[3]

local f = redis.call('HMGET', KEYS[1], 'status', 'requestorId', 'requiredApprovals', 'approvals', 'groups')
local status = f[1]
if not status then return { -1, '' } end
if status ~= 'needsApproval' then return { -2, status } end
if actor == f[2] then return { -4, status } end

local approvals = f[4] or ''
local count = 0
for line in string.gmatch(approvals, '[^\n]+') do
  if cjson.decode(line)['userId'] == actor then return { -5, status } end
  count = count + 1
end
count = count + 1

local verdict = cjson.encode({ userId = actor, at = nowIso, notes = ARGV[5] })
if approvals ~= '' then verdict = approvals .. '\n' .. verdict end
redis.call('HSET', KEYS[1], 'approvals', verdict)

local newStatus = 'needsApproval'
if count >= tonumber(f[3]) then newStatus = 'approved' end
touch(KEYS[1], status, newStatus, nowMs, nowIso)
reindex(prefix, id, f[2], cjson.decode(f[5]), status, newStatus, nowMs, nowMs)
recordTransition(KEYS[1], KEYS[2], id, nowMs, nowIso, actor, 'approve', status, newStatus, ARGV[6], false)

return { 1, redis.call('HGETALL', KEYS[1]) }
