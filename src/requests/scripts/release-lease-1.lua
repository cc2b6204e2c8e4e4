--[[
  release-lease: a process that stops gives up its background job's lease (src/requests/lease.ts), so
  another process takes the job over at its next attempt instead of after the lease time. Deletes only
  its own lease: one that ran out and was taken by another process is left alone.

  Preconditions: the lease holds ARGV[1].

  Input:
    KEYS[1] lease                 maa:{d}:lease:<job>

    ARGV[1] holder token

  Output:
    1   released
    0   not held by ARGV[1]: nothing changed

  Audit event: none (a lease is not a request transition).
]]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
