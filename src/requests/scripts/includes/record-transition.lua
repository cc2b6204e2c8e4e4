--[[
  Appends one transition to the request's history (a JSON line in its hash) and to the audit
  stream, in the caller's script, so the change and its record are one atomic step.
  The stream id is `<nowMs>-*` so `since` queries can start at a time; when time went
  backwards (another gateway's clock, or a test's `now`), Redis picks the next id itself.
  The audit event is chained (includes/audit-chain.lua): it carries the hash of the event before it.
  Every transition also gets its notification event in the outbox stream (includes/
  enqueue-notification.lua), whose key is the audit stream's with `audit` replaced by `outbox`
  (maa:{d}:audit -> maa:{d}:outbox): derived, not passed, so every script that records a
  transition writes its notification without a new KEYS entry, and it is in the same cluster slot
  (same hash tag; see includes/keys.lua on derived keys).
  `contentRaw` (optional): the event's contentHash as 32 bytes, when the caller computed it, and
  `predicted` (optional) the link it computed for the head it expects (both: audit-chain.lua).
  Returns the stream id and the event's hash (the chain's new head).
]]
--- @include "enqueue-notification"
--- @include "audit-chain"
local function recordTransition(requestKey, streamKey, id, nowMs, nowIso, actor, action, from, to, notesSha256, resend, contentRaw, predicted)
  local entry = { at = nowIso, actor = actor, action = action, to = to }
  if from then entry['from'] = from else entry['from'] = cjson.null end
  if notesSha256 and notesSha256 ~= '' then entry['notesSha256'] = notesSha256 end
  if resend then entry['resend'] = true end
  local history = redis.call('HGET', requestKey, 'history')
  local line = cjson.encode(entry)
  if history and history ~= '' then line = history .. '\n' .. line end
  redis.call('HSET', requestKey, 'history', line)

  local fields = { 'at', nowIso, 'requestId', id, 'actor', actor, 'action', action, 'from', from or '', 'to', to }
  if notesSha256 and notesSha256 ~= '' then
    table.insert(fields, 'notesSha256'); table.insert(fields, notesSha256)
  end
  if resend then
    table.insert(fields, 'resend'); table.insert(fields, '1')
  end
  local added, hash = appendToAuditChain(requestKey, streamKey, nowMs, fields, contentRaw, predicted)
  local outboxKey = string.gsub(streamKey, 'audit$', 'outbox')
  enqueueNotification(outboxKey, id, action, actor, from, to, nowIso, added)
  return added, hash
end
