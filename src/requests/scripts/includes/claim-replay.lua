--[[
  Writes the replay claim on the request hash: the secret token finish-complete must present, who
  holds the claim and until when. begin-complete, claim-scheduled and break-glass claim alike, so a
  claim is one shape whichever way the replay was started.
]]
local function claimReplay(requestKey, claimToken, actor, nowIso, leaseUntilMs, leaseUntilIso)
  redis.call('HSET', requestKey,
    'claimToken', claimToken,
    'claimUserId', actor,
    'claimAt', nowIso,
    'claimLeaseUntilMs', leaseUntilMs,
    'claimLeaseUntil', leaseUntilIso)
end
