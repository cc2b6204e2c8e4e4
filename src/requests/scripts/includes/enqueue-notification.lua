--[[
  enqueueNotification(outboxKey, requestId, event, actor, from, to, nowIso, auditId): appends one
  notification event to the outbox stream (maa:{d}:outbox), in the caller's script, so a
  transition and its notification are one atomic step: no transition is ever without its event,
  and no event without its transition. The dispatcher (src/notifications/) reads the stream with
  a consumer group and deletes each entry once every channel has it (or dead-lettered it), so
  the stream is never trimmed by length: an undelivered event is never dropped.

  `event` is the transition's audit action (create, approve, …) or `expiring` (warn-expiring-3).
  `auditId` is the audit stream id of the transition, '' for an event that is not a transition.
  `extra` (optional): more field, value pairs, e.g. { 'expiresMs', '…' } for `expiring`.
  The outbox entry carries no notes, justification or body: the dispatcher reads the request
  when it delivers, so the outbox holds no more than the audit stream does.
]]
local function enqueueNotification(outboxKey, requestId, event, actor, from, to, nowIso, auditId, extra)
  local fields = { 'requestId', requestId, 'event', event, 'actor', actor,
    'from', from or '', 'to', to, 'at', nowIso, 'auditId', auditId or '' }
  for _, value in ipairs(extra or {}) do table.insert(fields, value) end
  return redis.call('XADD', outboxKey, '*', unpack(fields))
end
