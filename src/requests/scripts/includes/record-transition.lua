--[[
  Appends one transition to the request's history (a JSON line in its hash) and to the audit
  stream, in the caller's script, so the change and its record are one atomic step.
  The audit event is chained (includes/audit-chain.lua): it carries the hash of the event before it.
  Returns the stream id.
]]
--- @include "audit-chain"
local function recordTransition(requestKey, streamKey, id, nowMs, nowIso, actor, action, from, to, notesSha256, resend)
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
  return appendToAuditChain(requestKey, streamKey, nowMs, fields)
end
