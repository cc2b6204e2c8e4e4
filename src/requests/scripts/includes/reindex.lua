--[[
  Moves a request in every index after a transition.
  Lists are scored by updatedMs (most recently changed first); the `since:<status>` sets are
  scored by the time the status last changed, which is what the sweep reads.
  oldStatus is false for a new request.
]]
--- @include "keys"
local function reindex(prefix, id, requestorId, groups, oldStatus, newStatus, updatedMs, statusChangedMs)
  local k = derivedKeys(prefix)
  if oldStatus and oldStatus ~= newStatus then
    redis.call('ZREM', k.byStatus(oldStatus), id)
    redis.call('ZREM', k.byRequestorStatus(requestorId, oldStatus), id)
    for _, g in ipairs(groups) do
      redis.call('ZREM', k.byGroupStatus(g, oldStatus), id)
    end
    redis.call('ZREM', k.statusSince(oldStatus), id)
  end
  redis.call('ZADD', k.all, updatedMs, id)
  redis.call('ZADD', k.byStatus(newStatus), updatedMs, id)
  redis.call('ZADD', k.byRequestor(requestorId), updatedMs, id)
  redis.call('ZADD', k.byRequestorStatus(requestorId, newStatus), updatedMs, id)
  for _, g in ipairs(groups) do
    redis.call('ZADD', k.byGroup(g), updatedMs, id)
    redis.call('ZADD', k.byGroupStatus(g, newStatus), updatedMs, id)
  end
  if oldStatus ~= newStatus then
    redis.call('ZADD', k.statusSince(newStatus), statusChangedMs, id)
  end
end
