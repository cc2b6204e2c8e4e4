--[[
  Sets the new status and times on the request hash; statusChangedMs only moves when the status does.
]]
local function touch(requestKey, oldStatus, newStatus, nowMs, nowIso)
  redis.call('HSET', requestKey, 'status', newStatus, 'updatedAt', nowIso, 'updatedMs', nowMs)
  if oldStatus ~= newStatus then
    redis.call('HSET', requestKey, 'statusChangedMs', nowMs)
  end
end
