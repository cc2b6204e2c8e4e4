--[[
  sha256Raw(message): the SHA-256 digest (FIPS 180-4) of a string, as 32 raw bytes. Redis's Lua
  has SHA-1 only (redis.sha1hex), and the audit chain must be computed inside the transition's
  script (so no event can be written without its link), hence this copy on Redis's `bit`
  library. test/requests/audit-chain.redis.test.ts checks it against node:crypto on edge lengths.
  Words are kept as plain numbers and normalised with bit.tobit only where a sum could outgrow
  the 2^51 that bit operations read exactly; messages here are far below 2^32 bits.
]]
local sha256Raw
do
  local band, bxor, rshift, ror, tobit = bit.band, bit.bxor, bit.rshift, bit.ror, bit.tobit
  local byte, char, rep = string.byte, string.char, string.rep
  local K = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
  }
  -- K[i] + W[i] of the one block every 64-byte message ends with (0x80, zeros, the length 512):
  -- the audit chain's links are all 64 bytes (two hashes), so their second block is a constant.
  -- Generated from K and that block's message schedule; the edge-length test against node:crypto
  -- (test/requests/audit-chain.redis.test.ts) fails if one of them is wrong.
  local PAD64_KW = {
    0xc28a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf374,
    0x649b69c1, 0xf0fe4786, 0x0fe1edc6, 0x240cf254, 0x4fe9346f, 0x6cc984be, 0x61b9411e, 0x16f988fa,
    0xf2c65152, 0xa88e5a6d, 0xb019fc65, 0xb9d99ec7, 0x9a1231c3, 0xe70eeaa0, 0xfdb1232b, 0xc7353eb0,
    0x3069bad5, 0xcb976d5f, 0x5a0f118f, 0xdc1eeefd, 0x0a35b689, 0xde0b7a04, 0x58f4ca9d, 0xe15d5b16,
    0x007f3e86, 0x37088980, 0xa507ea32, 0x6fab9537, 0x17406110, 0x0d8cd6f1, 0xcdaa3b6d, 0xc0bbbe37,
    0x83613bda, 0xdb48a363, 0x0b02e931, 0x6fd15ca7, 0x521afaca, 0x31338431, 0x6ed41a95, 0x6d437890,
    0xc39c91f2, 0x9eccabbd, 0xb5c9a0e6, 0x532fb63c, 0xd2c741c6, 0x07237ea3, 0xa4954b68, 0x4c191d76,
  }
  local function word(x)
    return char(band(rshift(x, 24), 255), band(rshift(x, 16), 255), band(rshift(x, 8), 255), band(x, 255))
  end
  -- The 64 rounds of one block, given K[i] + W[i] for each; returns the new state.
  local function compress(h0, h1, h2, h3, h4, h5, h6, h7, kw)
    local a, b, c, d, e, f, g, h = h0, h1, h2, h3, h4, h5, h6, h7
    -- maj(a, b, c) = (a & b) ^ (a & c) ^ (b & c), and this round's b & c is the last round's a & b.
    local bc = band(b, c)
    for i = 1, 64 do
      local t1 = h + bxor(ror(e, 6), ror(e, 11), ror(e, 25)) + bxor(g, band(e, bxor(f, g))) + kw[i]
      local ab = band(a, b)
      local t2 = bxor(ror(a, 2), ror(a, 13), ror(a, 22)) + bxor(ab, band(a, c), bc)
      bc = ab
      h, g, f, e, d, c, b, a = g, f, e, tobit(d + t1), c, b, a, tobit(t1 + t2)
    end
    return tobit(h0 + a), tobit(h1 + b), tobit(h2 + c), tobit(h3 + d), tobit(h4 + e), tobit(h5 + f), tobit(h6 + g), tobit(h7 + h)
  end
  sha256Raw = function(message)
    local length = #message
    -- Padding: 0x80, zeros up to 56 mod 64, then the length in bits as 64 bits big-endian. A
    -- 64-byte message's padding is a block of its own, the constant one above.
    local padded = length == 64 and message or message .. '\128' .. rep('\0', (55 - length) % 64) .. '\0\0\0\0' .. word(length * 8)
    local h0, h1, h2, h3 = 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a
    local h4, h5, h6, h7 = 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19
    local w, kw = {}, {}
    for block = 1, #padded, 64 do
      local bytes = { byte(padded, block, block + 63) }
      for i = 0, 15 do
        local j = i * 4
        w[i] = bytes[j + 1] * 16777216 + bytes[j + 2] * 65536 + bytes[j + 3] * 256 + bytes[j + 4]
      end
      for i = 16, 63 do
        local x, y = w[i - 15], w[i - 2]
        w[i] = tobit(w[i - 16] + bxor(ror(x, 7), ror(x, 18), rshift(x, 3)) + w[i - 7] + bxor(ror(y, 17), ror(y, 19), rshift(y, 10)))
      end
      for i = 1, 64 do kw[i] = K[i] + w[i - 1] end
      h0, h1, h2, h3, h4, h5, h6, h7 = compress(h0, h1, h2, h3, h4, h5, h6, h7, kw)
    end
    if length == 64 then h0, h1, h2, h3, h4, h5, h6, h7 = compress(h0, h1, h2, h3, h4, h5, h6, h7, PAD64_KW) end
    return word(h0) .. word(h1) .. word(h2) .. word(h3) .. word(h4) .. word(h5) .. word(h6) .. word(h7)
  end
end
