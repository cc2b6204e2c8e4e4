--[[
  Takes a request out of every index (removal of an ended request): every key reindex.lua adds
  it to.
]]
--- @include "keys"
local function unindex(prefix, id, requestorId, groups, status)
  local k = derivedKeys(prefix)
  redis.call('ZREM', k.all, id)
  redis.call('ZREM', k.byStatus(status), id)
  redis.call('ZREM', k.byRequestor(requestorId), id)
  redis.call('ZREM', k.byRequestorStatus(requestorId, status), id)
  for _, g in ipairs(groups) do
    redis.call('ZREM', k.byGroup(g), id)
    redis.call('ZREM', k.byGroupStatus(g, status), id)
  end
  redis.call('ZREM', k.statusSince(status), id)
  redis.call('ZREM', k.expiry, id)
end
