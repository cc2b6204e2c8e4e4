--[[
  trim-audit: removes the oldest audit events (retention) and moves the checkpoint to the last one
  removed, so the chain still verifies from there (docs/operations.md, "Audit retention").

  The store first reads the events it means to trim and verifies them from the current checkpoint
  with src/requests/audit-chain.ts (hashes recomputed); this script then checks, in the same atomic
  step as the trim, that the stream still starts with exactly those events and that they still
  link to the checkpoint and to each other, so a trim never removes a break it was not shown.

  Preconditions: the stream starts at ARGV[1] and holds exactly ARGV[3] events up to ARGV[2]; the
  first chained one links to the checkpoint (or to 64 zeros when there is none); events without
  chain fields (written before the chain existed) come only before the chain's first event.

  Input:
    KEYS[1] audit stream          maa:{d}:audit
    KEYS[2] audit checkpoint      maa:{d}:audit:checkpoint

    ARGV[1] stream id of the first event to trim (the stream's first)
    ARGV[2] stream id of the last event to trim
    ARGV[3] how many events that is
    ARGV[4] hash of the last chained event among them, as the store verified it ('' when none is chained)
    ARGV[5] now, ISO-8601

  Output:
    {1, trimmed}       trimmed; the checkpoint is the last trimmed chained event
    {0, reason}        nothing trimmed: the stream changed since the store read it, or a link does not hold

  Audit event: none. The checkpoint (seq, hash, id, at, trimmedAt, and trimmed, a running count)
  is the record of the trim; verification starts from it.
]]
local firstId, lastId, count, lastHash, nowIso = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5]

local entries = redis.call('XRANGE', KEYS[1], '-', lastId, 'COUNT', count + 1)
if #entries ~= count or entries[1][1] ~= firstId or entries[#entries][1] ~= lastId then
  return { 0, 'the stream changed since it was read' }
end

local prev = redis.call('HGET', KEYS[2], 'hash')
local started = prev and true or false
if not prev then prev = string.rep('0', 64) end
local last = false
local ids = {}
for i, entry in ipairs(entries) do
  local f = {}
  for j = 1, #entry[2], 2 do f[entry[2][j]] = entry[2][j + 1] end
  if f['hash'] then
    if f['prevHash'] ~= prev then return { 0, 'event ' .. entry[1] .. ' does not link to the one before it' } end
    prev = f['hash']
    started = true
    last = { seq = f['seq'], hash = f['hash'], id = entry[1], at = f['at'] or '' }
  elseif started then
    return { 0, 'event ' .. entry[1] .. ' has no chain fields after the chain began' }
  end
  ids[i] = entry[1]
end
if (last and last.hash or '') ~= lastHash then return { 0, 'the last event is not the one verified' } end

for i = 1, #ids, 500 do
  redis.call('XDEL', KEYS[1], unpack(ids, i, math.min(i + 499, #ids)))
end
if last then
  redis.call('HSET', KEYS[2], 'seq', last.seq, 'hash', last.hash, 'id', last.id, 'at', last.at, 'trimmedAt', nowIso)
end
redis.call('HINCRBY', KEYS[2], 'trimmed', count)
return { 1, count }
