--[[
  approve: records one approver's verdict; the request becomes approved once requiredApprovals
  distinct approvers, none of them the requestor, have approved. For a staged request (its
  decision's stages, stored at park) the verdict counts in the current stage, the actor must be
  in that stage's approver groups, and the request is approved when the last stage is.

  Preconditions: status needsApproval; actor is not the requestor; actor has given no verdict yet
  (approved, or under a majority veto rejected); staged: actor in the current stage's groups.
  (Whether the actor is in an approver group at all is the policy's call, made before this script.)

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
    ARGV[7] approver's groups (JSON array of strings)

  Output:
    {1, HGETALL request}  approval recorded (status needsApproval or approved)
    {-1, ''}              REQUEST_NOT_FOUND
    {-2, status}          INVALID_STATE: not needsApproval
    {-4, status}          SELF_APPROVAL: the actor is the requestor
    {-5, status}          ALREADY_APPROVED: the actor approved before (in any stage)
    {-15, status}         NOT_CURRENT_STAGE: staged, and the actor is not in the current stage's groups
    {-16, status}         ALREADY_REJECTED: the actor rejected before (majority veto)

  Also: on approved, the expiry set (includes/schedule-expiry.lua) by approvedExpiresAfterMs.

  Audit event: action approve, from needsApproval, to needsApproval or approved, with the notes' hash.
]]
--- @include "reindex"
--- @include "record-transition"
--- @include "touch"
--- @include "verdict-stage"
--- @include "schedule-expiry"

local id, nowMs, nowIso, actor = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local prefix = KEYS[3]

local f = redis.call('HMGET', KEYS[1], 'status', 'requestorId', 'requiredApprovals', 'approvals', 'groups', 'decision', 'rejections')
local status = f[1]
if not status then return { -1, '' } end
if status ~= 'needsApproval' then return { -2, status } end
if actor == f[2] then return { -4, status } end

local approvals = f[4] or ''
local at = verdictStage(f[6], f[3], approvals, f[7], actor, ARGV[7])
if at.refusal == -5 then return { -5, status } end
if at.refusal == -16 then return { -16, status } end
if at.refusal == -15 then return { -15, status } end

local entry = { userId = actor, at = nowIso, notes = ARGV[5] }
if at.stage then entry['stage'] = at.stage end
local verdict = cjson.encode(entry)
if approvals ~= '' then verdict = approvals .. '\n' .. verdict end
redis.call('HSET', KEYS[1], 'approvals', verdict)

local newStatus = 'needsApproval'
if at.approved + 1 >= at.required and at.last then newStatus = 'approved' end
touch(KEYS[1], status, newStatus, nowMs, nowIso)
reindex(prefix, id, f[2], cjson.decode(f[5]), status, newStatus, nowMs, nowMs)
if newStatus ~= status and f[6] then scheduleExpiry(prefix, id, f[6], newStatus, nowMs) end
recordTransition(KEYS[1], KEYS[2], id, nowMs, nowIso, actor, 'approve', status, newStatus, ARGV[6], false)

return { 1, redis.call('HGETALL', KEYS[1]) }
