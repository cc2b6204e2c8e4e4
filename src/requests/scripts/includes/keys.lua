--[[
  Derived key names; mirrors src/requests/keys.ts (test/requests/keys.redis.test.ts checks
  that both agree). `prefix` is `maa:{<deployment>}:`, so every derived key shares its hash tag.
]]
local function requestKeyOf(prefix, id)
  return prefix .. 'req:' .. id
end
