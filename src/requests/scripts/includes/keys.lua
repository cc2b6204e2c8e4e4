--[[
  derivedKeys(prefix): the key names a script derives from `prefix` (its last KEYS entry,
  `maa:{<deployment>}:`) and from fields stored on the request (requestor id, approver groups,
  status, the lock holder's id). Same names and layout as requestKeys() in src/requests/keys.ts;
  test/requests/keys.redis.test.ts runs both and checks that they agree, and that every key a
  lifecycle leaves is one of them.

  Why deriving is safe: every derived key starts with `prefix`, so the first {…} in it is the
  deployment's hash tag and it hashes to the same cluster slot as the declared KEYS (a `{` or `}`
  in a user id or group name comes after it and does not count). Redis Cluster routes a script by
  its declared KEYS, and a script without flags (no `#!lua` shebang, as here) may touch undeclared
  keys of that slot. They cannot be declared: which index keys a transition touches depends on
  fields read inside the same atomic step. test/topologies/topologies.test.ts runs every
  transition on a real 3-primary Cluster (which refuses a script touching another slot's key)
  and counts that every key of the run is in the tag's one slot.
]]
local function derivedKeys(prefix)
  local idx = prefix .. 'idx:'
  return {
    request = function(id) return prefix .. 'req:' .. id end,
    snapshot = function(id) return prefix .. 'snapshot:' .. id end,
    all = idx .. 'all',
    byStatus = function(status) return idx .. 'status:' .. status end,
    byRequestor = function(userId) return idx .. 'requestor:' .. userId end,
    byRequestorStatus = function(userId, status) return idx .. 'requestor-status:' .. status .. ':' .. userId end,
    byGroup = function(group) return idx .. 'group:' .. group end,
    byGroupStatus = function(group, status) return idx .. 'group-status:' .. status .. ':' .. group end,
    statusSince = function(status) return prefix .. 'since:' .. status end,
    expiry = prefix .. 'expiry',
    breakGlass = function(state) return prefix .. 'break-glass:' .. state end,
    scheduled = prefix .. 'scheduled',
  }
end
