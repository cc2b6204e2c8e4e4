--[[
  renew-lease: the holder of a background job's lease (src/requests/lease.ts) extends it. Taking a
  free lease is one command (SET key holder NX PX ttl) and needs no script; renewing must check the
  holder and extend in one step, or a holder whose lease just ran out would extend someone else's.

  Preconditions: the lease exists and holds ARGV[1].

  Input:
    KEYS[1] lease                 maa:{d}:lease:<job>

    ARGV[1] holder token (host:pid:random, as written by SET NX)
    ARGV[2] lease time, ms

  Output:
    1   renewed: the lease now ends ARGV[2] ms from now
    0   not held by ARGV[1] (expired, taken by another process, or released)

  Audit event: none (a lease is not a request transition; the process logs when it gains or loses one).
]]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
