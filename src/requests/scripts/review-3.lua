--[[
  review: an approver reviews a break-glass after the fact, with notes. The request leaves the
  review queue (break-glass:unreviewed) for break-glass:reviewed. Not a status change: the
  request keeps its status, whatever it is (a break-glass is reviewed whether its replay
  completed, failed or is still approved).

  Preconditions: the request was completed by break-glass; not reviewed yet; actor is not the requestor.
  (Whether the actor is in an approver group of the request is the policy's call, made before this script.)

  Input:
    KEYS[1] request hash          maa:{d}:req:<id>
    KEYS[2] audit stream          maa:{d}:audit
    KEYS[3] key prefix            maa:{d}:   (derived in includes/keys.lua: break-glass:*)

    ARGV[1] request id
    ARGV[2] now, ms since epoch
    ARGV[3] now, ISO-8601
    ARGV[4] reviewer user id
    ARGV[5] notes
    ARGV[6] SHA-256 of the notes, hex

  Output:
    {1, HGETALL request}  reviewed
    {-1, ''}              REQUEST_NOT_FOUND
    {-4, status}          SELF_APPROVAL: the reviewer is the requestor
    {-12, status}         NOT_BREAK_GLASS: the request was not completed by break-glass
    {-13, status}         ALREADY_REVIEWED

  Audit event: action review, from and to the request's status, with the notes' hash.
]]
--- @include "keys"
--- @include "record-transition"

local id, nowMs, nowIso, actor = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local prefix = KEYS[3]

local f = redis.call('HMGET', KEYS[1], 'status', 'requestorId', 'breakGlass', 'review')
local status = f[1]
if not status then return { -1, '' } end
if not f[3] then return { -12, status } end
if f[4] then return { -13, status } end
if actor == f[2] then return { -4, status } end

local k = derivedKeys(prefix)
redis.call('HSET', KEYS[1], 'review', cjson.encode({ userId = actor, at = nowIso, notes = ARGV[5] }))
redis.call('ZREM', k.breakGlass('unreviewed'), id)
redis.call('ZADD', k.breakGlass('reviewed'), nowMs, id)
recordTransition(KEYS[1], KEYS[2], id, nowMs, nowIso, actor, 'review', status, status, ARGV[6], false)

return { 1, redis.call('HGETALL', KEYS[1]) }
