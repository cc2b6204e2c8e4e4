--[[
  settle-notification: records what the dispatcher did with one outbox event after a round of
  delivery attempts, in one step: the channels' progress (attempts, next try), the deliveries
  given up (pushed to the dead-letter list), and, once every channel has the event or gave it up,
  its acknowledgement: XACK and XDEL (the outbox keeps only undelivered events) and its progress
  dropped. An event another dispatcher settled already (gone from the stream) only has its
  acknowledgement and progress cleared, so a dead letter is never pushed twice and no progress
  outlives its event.

  Preconditions: the event is still in the outbox stream.

  Input:
    KEYS[1] outbox stream         maa:{d}:outbox
    KEYS[2] progress hash         maa:{d}:outbox:progress
    KEYS[3] dead-letter list      maa:{d}:outbox:dead

    ARGV[1] consumer group name
    ARGV[2] outbox entry id
    ARGV[3] progress (JSON: channel -> { attempts, nextMs, state })
    ARGV[4] '1': settled (every channel delivered or dead-lettered), '0': retries remain
    ARGV[5…] dead letters to push (JSON, one per channel given up in this round)

  Output:
    {1, ''}    recorded (and, when settled, acknowledged and deleted)
    {-1, ''}   the event is not in the outbox (settled by another dispatcher): only acknowledged

  Audit event: none (the outbox is not a request; its transitions are delivery bookkeeping).
]]
local group, entryId = ARGV[1], ARGV[2]

if #redis.call('XRANGE', KEYS[1], entryId, entryId) == 0 then
  redis.call('XACK', KEYS[1], group, entryId)
  redis.call('HDEL', KEYS[2], entryId)
  return { -1, '' }
end

for i = 5, #ARGV do redis.call('LPUSH', KEYS[3], ARGV[i]) end
if ARGV[4] == '1' then
  redis.call('XACK', KEYS[1], group, entryId)
  redis.call('XDEL', KEYS[1], entryId)
  redis.call('HDEL', KEYS[2], entryId)
else
  redis.call('HSET', KEYS[2], entryId, ARGV[3])
end
return { 1, '' }
