--[[
  Moves a request in every index after a transition.
  Lists are scored by updatedMs (most recently changed first); the `since:<status>` sets are
  scored by the time the status last changed, which is what the sweep reads.
  oldStatus is false for a new request.
]]
local function reindex(prefix, id, requestorId, groups, oldStatus, newStatus, updatedMs, statusChangedMs)
  local idx = prefix .. 'idx:'
  if oldStatus and oldStatus ~= newStatus then
    redis.call('ZREM', idx .. 'status:' .. oldStatus, id)
    redis.call('ZREM', idx .. 'requestor-status:' .. oldStatus .. ':' .. requestorId, id)
    for _, g in ipairs(groups) do
      redis.call('ZREM', idx .. 'group-status:' .. oldStatus .. ':' .. g, id)
    end
    redis.call('ZREM', prefix .. 'since:' .. oldStatus, id)
  end
  redis.call('ZADD', idx .. 'all', updatedMs, id)
  redis.call('ZADD', idx .. 'status:' .. newStatus, updatedMs, id)
  redis.call('ZADD', idx .. 'requestor:' .. requestorId, updatedMs, id)
  redis.call('ZADD', idx .. 'requestor-status:' .. newStatus .. ':' .. requestorId, updatedMs, id)
  for _, g in ipairs(groups) do
    redis.call('ZADD', idx .. 'group:' .. g, updatedMs, id)
    redis.call('ZADD', idx .. 'group-status:' .. newStatus .. ':' .. g, updatedMs, id)
  end
  if oldStatus ~= newStatus then
    redis.call('ZADD', prefix .. 'since:' .. newStatus, statusChangedMs, id)
  end
end
