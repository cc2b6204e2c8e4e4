--[[
  remove: deletes an ended request (rejected, canceled, completed, failed, expired) once it has
  stayed visible for its retention period after its last change: hash, body, snapshot and index entries.
  Not a transition: no status changes and no audit event; the audit stream keeps its history.

  Preconditions: status is an ended one; status unchanged since the cutoff; not a break-glass still
  waiting for its review (it stays, in the review queue, until an approver reviews it).

  Input:
    KEYS[1] request hash          maa:{d}:req:<id>
    KEYS[2] body                  maa:{d}:body:<id>
    KEYS[3] object locks hash     maa:{d}:locks
    KEYS[4] key prefix            maa:{d}:   (derived in includes/keys.lua: snapshot:<id>, idx:*, since:*, break-glass:reviewed, scheduled)

    ARGV[1] request id
    ARGV[2] cutoff, ms (status changed at or before it: due)

  Output:
    {1, ''}        removed
    {-1, ''}       REQUEST_NOT_FOUND
    {-2, status}   INVALID_STATE: still open
    {-11, status}  not yet due, or an unreviewed break-glass
]]
--- @include "unindex"
--- @include "release-lock"

local id = ARGV[1]
local prefix = KEYS[4]

local f = redis.call('HMGET', KEYS[1], 'status', 'requestorId', 'objectKey', 'groups', 'statusChangedMs', 'breakGlass', 'review')
local status = f[1]
if not status then return { -1, '' } end
if status == 'needsApproval' or status == 'approved' then return { -2, status } end
if tonumber(f[5]) > tonumber(ARGV[2]) then return { -11, status } end
if f[6] and not f[7] then return { -11, status } end

unindex(prefix, id, f[2], cjson.decode(f[4]), status)
releaseLock(KEYS[3], f[3], id)
redis.call('ZREM', derivedKeys(prefix).breakGlass('reviewed'), id)
redis.call('ZREM', derivedKeys(prefix).scheduled, id)
redis.call('DEL', KEYS[1], KEYS[2], derivedKeys(prefix).snapshot(id))

return { 1, '' }
