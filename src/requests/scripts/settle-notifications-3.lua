--[[
  settle-notifications: records what the dispatcher did with a page of outbox events, in one
  step: for each event, the channels' progress (attempts, next try), the deliveries given up
  (pushed to the dead-letter list), and, once every channel has the event or gave it up, its
  acknowledgement: XACK and XDEL (the outbox keeps only undelivered events) and its progress
  dropped. An event with something to keep (dead letters, or progress for its retries) is first
  looked up: one another dispatcher settled already (gone from the stream) only has its
  acknowledgement and progress cleared, so a dead letter is never pushed twice and no progress
  outlives its event. An event settled with nothing to keep is acknowledged, deleted and
  forgotten without the lookup (each step is idempotent). One script per page rather than per
  event: a gateway without channels settles every event with no delivery, and the outbox must
  drain as fast as transitions fill it without holding Redis long (a page of 100 such events
  costs Redis about 0.1 ms).

  Preconditions: none (each event is checked: still in the outbox stream, or settled elsewhere).
  The whole argument list is read and checked before the first write, so a malformed one
  changes nothing.

  Input:
    KEYS[1] outbox stream         maa:{d}:outbox
    KEYS[2] progress hash         maa:{d}:outbox:progress
    KEYS[3] dead-letter list      maa:{d}:outbox:dead

    ARGV[1] consumer group name
    then, per event, 4 + n values:
      outbox entry id
      progress (JSON: channel -> { attempts, nextMs, state })
      '1': settled (every channel delivered or dead-lettered), '0': retries remain
      n, the number of dead letters that follow (a decimal integer)
      n dead letters to push (JSON, one per channel given up in this round)

  Output:
    a list with one number per event, in order: 1 recorded (and, when settled, acknowledged and
    deleted); -1 an event with something to keep is not in the outbox (settled by another
    dispatcher): only acknowledged

  Audit event: none (the outbox is not a request; its transitions are delivery bookkeeping).
]]
local group = ARGV[1]
local events = {}
local i = 2
while i <= #ARGV do
  local count = ARGV[i + 3]
  if count == nil or not string.match(count, '^%d+$') or i + 3 + tonumber(count) > #ARGV then
    return redis.error_reply('ERR settle-notifications: event at ARGV[' .. i .. '] is not id, progress, settled, n and n dead letters')
  end
  table.insert(events, { id = ARGV[i], progress = ARGV[i + 1], settled = ARGV[i + 2] == '1', first = i + 4, last = i + 3 + tonumber(count) })
  i = i + 4 + tonumber(count)
end

local out, done = {}, {}
for _, event in ipairs(events) do
  if event.settled and event.last < event.first then
    table.insert(done, event.id)
    table.insert(out, 1)
  elseif #redis.call('XRANGE', KEYS[1], event.id, event.id) == 0 then
    table.insert(done, event.id)
    table.insert(out, -1)
  else
    for d = event.first, event.last do redis.call('LPUSH', KEYS[3], ARGV[d]) end
    if event.settled then
      table.insert(done, event.id)
    else
      redis.call('HSET', KEYS[2], event.id, event.progress)
    end
    table.insert(out, 1)
  end
end
if #done > 0 then
  -- Acknowledged, deleted and forgotten together: an event gone from the stream keeps no progress.
  redis.call('XACK', KEYS[1], group, unpack(done))
  redis.call('XDEL', KEYS[1], unpack(done))
  redis.call('HDEL', KEYS[2], unpack(done))
end
return out
