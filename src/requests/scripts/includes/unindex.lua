--[[
  Takes a request out of every index (removal of an ended request).
]]
local function unindex(prefix, id, requestorId, groups, status)
  local idx = prefix .. 'idx:'
  redis.call('ZREM', idx .. 'all', id)
  redis.call('ZREM', idx .. 'status:' .. status, id)
  redis.call('ZREM', idx .. 'requestor:' .. requestorId, id)
  redis.call('ZREM', idx .. 'requestor-status:' .. status .. ':' .. requestorId, id)
  for _, g in ipairs(groups) do
    redis.call('ZREM', idx .. 'group:' .. g, id)
    redis.call('ZREM', idx .. 'group-status:' .. status .. ':' .. g, id)
  end
  redis.call('ZREM', prefix .. 'since:' .. status, id)
end
