--[[
  Frees the object when this request holds it (invariant 4: at most one open request per object).
]]
local function releaseLock(locksKey, objectKey, id)
  if redis.call('HGET', locksKey, objectKey) == id then
    redis.call('HDEL', locksKey, objectKey)
  end
end
