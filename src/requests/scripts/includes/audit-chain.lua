--[[
  Appends one audit event to the audit hash chain (docs/security.md, "Tamper-evident audit trail").
  The event gets `seq` (its place in the chain, from 1), `prevHash` (the hash of the event before
  it; 64 zeros for the first), `hash` and `chainVersion` 2; then it is added to the stream and the
  chain head moves.

    contentHash = SHA-256( ns(at) ns(requestId) ns(actor) ns(action) ns(from) ns(to)
                           ns(notesSha256) ns(resend) ns(requestSha256) )
    hash        = SHA-256( prevHash as 32 bytes .. contentHash as 32 bytes ), lower-case hex

  ns(x) is a netstring: the byte length of x in decimal, ':', x, ','; a field the event does not
  have is ''. Two steps, so that an evidence file can carry another request's event as its
  contentHash alone and still be walked link by link. Version 1 events (written before 2026-12-06,
  without chainVersion) had ns(seq) first in contentHash; src/requests/audit-chain.ts verifies both,
  and test/requests/audit-chain.redis.test.ts holds the two definitions together.

  `contentRaw` (optional): the contentHash as its 32 bytes, computed by the caller, for an event
  whose every field the gateway knows before the script runs (create-5: SHA-256 in Lua costs ~30 µs
  per 64-byte block, and a create's content is 3 blocks). The fields written are the same arguments
  it hashed; a wrong one would show as an edited event to every verifier, like any other mismatch.
  The caller checks its length before its first write (a script's writes are not undone by a later
  error).

  `predicted` (optional, with contentRaw): { prev = hex, raw = 32 bytes }, the link the caller
  computed for the head it expects, `SHA-256(prev .. contentRaw)` (the link, Lua's SHA-256 of 64
  bytes, took 60 to 110 µs of Redis's one thread, a third of a create). It is used only when the head
  is `prev`; otherwise another writer came first and the link is computed here, so the chain
  never depends on the guess. The caller supplies it on the terms it supplies contentRaw: the
  gateway is the chain's writer, and a wrong link shows as a broken link to every verifier.

  The head is a hash next to the stream, `<stream key>:head` (seq, hash, id, at; raw: the hash as bytes). It is derived from
  the stream's key, so it starts with `maa:{<deployment>}:` and lives in the stream's cluster slot
  (keys.lua says why a script may touch such a key). A create event also pins the parked request:
  create-5 stores requestSha256 on the request hash first, and it becomes part of the event.

  `fields` is the event's name/value list as recordTransition built it. Returns the stream id and
  the event's hash (the new head).
]]
--- @include "sha256"
local function appendToAuditChain(requestKey, streamKey, nowMs, fields, contentRaw, predicted)
  local headKey = streamKey .. ':head'
  local function ns(value) return #value .. ':' .. value .. ',' end
  local function toHex(raw) return string.format(string.rep('%02x', 32), string.byte(raw, 1, 32)) end
  local function fromHex(hex) return (string.gsub(hex, '..', function(cc) return string.char(tonumber(cc, 16)) end)) end

  local event = {}
  for i = 1, #fields, 2 do event[fields[i]] = fields[i + 1] end
  if event['action'] == 'create' then
    local pinned = redis.call('HGET', requestKey, 'requestSha256')
    if pinned then
      event['requestSha256'] = pinned
      table.insert(fields, 'requestSha256'); table.insert(fields, pinned)
    end
  end

  -- The head keeps its hash both ways, hex for the event and raw for the link: no conversion here.
  local head = redis.call('HMGET', headKey, 'seq', 'hash', 'raw')
  local seq = tostring((tonumber(head[1]) or 0) + 1)
  local prevHash = head[2] or string.rep('0', 64)
  local hashRaw
  if predicted and contentRaw and contentRaw ~= '' and predicted.prev == prevHash then
    hashRaw = predicted.raw
  else
    local prevRaw = head[3] or string.rep('\0', 32)
    if head[2] and not head[3] then
      prevRaw = fromHex(head[2])
    end
    if not contentRaw or contentRaw == '' then
      contentRaw = sha256Raw(ns(event['at'] or '') .. ns(event['requestId'] or '') .. ns(event['actor'] or '')
        .. ns(event['action'] or '') .. ns(event['from'] or '') .. ns(event['to'] or '') .. ns(event['notesSha256'] or '')
        .. ns(event['resend'] or '') .. ns(event['requestSha256'] or ''))
    end
    hashRaw = sha256Raw(prevRaw .. contentRaw)
  end
  local hash = toHex(hashRaw)
  table.insert(fields, 'chainVersion'); table.insert(fields, '2')
  table.insert(fields, 'seq'); table.insert(fields, seq)
  table.insert(fields, 'prevHash'); table.insert(fields, prevHash)
  table.insert(fields, 'hash'); table.insert(fields, hash)

  -- The id is `<nowMs>-*` so `since` queries can start at a time; when time went backwards
  -- (another gateway's clock, or a test's `now`), Redis picks the next id itself.
  local added = redis.pcall('XADD', streamKey, nowMs .. '-*', unpack(fields))
  if type(added) == 'table' and added.err then
    added = redis.call('XADD', streamKey, '*', unpack(fields))
  end
  redis.call('HSET', headKey, 'seq', seq, 'hash', hash, 'raw', hashRaw, 'id', added, 'at', event['at'] or '')
  return added, hash
end
