--[[
  warn-expiring: queues the "expires soon" notification of an open request, once per request and
  open status: the request is marked (field expiryWarned = its status) in the same step as the
  event is queued, so however often, and from however many gateways, the warning scan runs, the
  approvers of a waiting request (or the requestor of an approved one) hear it once. A request
  that moves on (needsApproval -> approved) may be warned again in its new status.

  When a request is due: as expire-4 decides it, its status changed `retention` ago, or, when its
  decision (stored at park) sets expiresAfterMs / approvedExpiresAfterMs, that long ago.

  Preconditions: status needsApproval or approved; due after now and at most `within` from now;
  not yet warned in this status.

  Input:
    KEYS[1] request hash          maa:{d}:req:<id>
    KEYS[2] outbox stream         maa:{d}:outbox

    ARGV[1] request id
    ARGV[2] now, ms since epoch
    ARGV[3] now, ISO-8601
    ARGV[4] retention of needsApproval, ms (the gateway's requests.retentionMs)
    ARGV[5] retention of approved, ms (requests.approvedRetentionMs)
    ARGV[6] warn this long before the request is due, ms
    ARGV[7] actor named in the event (the dispatcher)

  Output:
    {1, dueMs}      warned: the event is in the outbox
    {-1, ''}        REQUEST_NOT_FOUND
    {-2, status}    INVALID_STATE: not open
    {-11, status}   not due within the window (or already past due: the sweep expires it)
    {-20, status}   warned before in this status

  Audit event: none (no state changes); outbox event `expiring`, from and to the current status,
  with expiresAt.
]]
--- @include "enqueue-notification"

local id, nowMs, nowIso = ARGV[1], tonumber(ARGV[2]), ARGV[3]

local f = redis.call('HMGET', KEYS[1], 'status', 'statusChangedMs', 'decision', 'expiryWarned')
local status = f[1]
if not status then return { -1, '' } end
local retention, own
local decision = {}
if f[3] then decision = cjson.decode(f[3]) end
if status == 'needsApproval' then retention, own = ARGV[4], decision['expiresAfterMs']
elseif status == 'approved' then retention, own = ARGV[5], decision['approvedExpiresAfterMs']
else return { -2, status } end
if type(own) == 'number' then retention = own end
local due = tonumber(f[2]) + tonumber(retention)
if due <= nowMs or due > nowMs + tonumber(ARGV[6]) then return { -11, status } end
if f[4] == status then return { -20, status } end

redis.call('HSET', KEYS[1], 'expiryWarned', status)
enqueueNotification(KEYS[2], id, 'expiring', ARGV[7], status, status, nowIso, '', { 'expiresMs', tostring(due) })
return { 1, due }
