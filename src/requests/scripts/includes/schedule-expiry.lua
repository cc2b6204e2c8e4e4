--[[
  Per-policy expiry (docs/policy.md "Per-policy expiry"): when the request's decision, stored at
  park, carries expiresAfterMs (for needsApproval) or approvedExpiresAfterMs (for approved), the
  request is put in the expiry set scored by when it is due in its new status; otherwise taken out,
  and the gateway's retention applies through since:<status>, as before.
]]
--- @include "keys"
local function scheduleExpiry(prefix, id, decisionJson, status, nowMs)
  local decision = cjson.decode(decisionJson)
  local after = nil
  if status == 'needsApproval' then after = decision['expiresAfterMs']
  elseif status == 'approved' then after = decision['approvedExpiresAfterMs'] end
  local key = derivedKeys(prefix).expiry
  if type(after) == 'number' then
    redis.call('ZADD', key, tonumber(nowMs) + after, id)
  else
    redis.call('ZREM', key, id)
  end
end
