-- billing_claim: counts a node's deliveries of one session for billing, each message once in
-- the cluster however many nodes delivered it (SPEC 7). A node runs it once per session per
-- billing interval with what it delivered in that interval.
--
-- KEYS[1]  billed bitmap       {lc:S}:room:<id>:billed      bit n set: message n was counted
-- KEYS[2]  raw biller lease    {lc:S}:room:<id>:raw-biller  the node that counts raw messages
-- KEYS[3]  claims hash         {lc:S}:room:<id>:claims      per node: its last claim's answer
-- ARGV[1]  node id (random per process)
-- ARGV[2]  claim number (the node's, increasing; a retry of a claim keeps its number)
-- ARGV[3]  raw lease, in milliseconds
-- ARGV[4]  expiry of the bitmap and the claims hash, in seconds (refreshed by every claim)
-- ARGV[5]  raw messages (no id) the node delivered
-- ARGV[6…] first and last id of each range of ids the node delivered: first last first last…
--
-- Ids: sets each range's bits and counts those that were not set before (BITCOUNT over the
-- range's bytes before and after), so a message counts for the first node to claim it only.
-- Raw messages have no id: they count for the node holding the lease, taken by the first node
-- that claims raw messages while it is free and kept by renewing it at each claim that has some.
-- Returns {ids counted, raw messages counted}.
--
-- Atomic promise: a claim is counted once. The answer is recorded under the node's id in the
-- claims hash, and the same claim number sent again (its reply was lost) gets the recorded
-- answer back, changing nothing.

local billed, lease, claims = KEYS[1], KEYS[2], KEYS[3]
local node, number = ARGV[1], ARGV[2]
local lease_ms, expiry, raws = ARGV[3], ARGV[4], tonumber(ARGV[5])

local last = redis.call('HGET', claims, node)
if last then
  local seen, ids, raw_counted = string.match(last, '^(%d+) (%d+) (%d+)$')
  if seen == number then return {tonumber(ids), tonumber(raw_counted)} end
end

local function set_bit(id)
  redis.call('SETBIT', billed, string.format('%d', id), 1)
end

local counted = 0
for i = 6, #ARGV - 1, 2 do
  local first, final = tonumber(ARGV[i]), tonumber(ARGV[i + 1])
  local from_byte = string.format('%d', math.floor(first / 8))
  local to_byte = string.format('%d', math.floor(final / 8))
  local before = redis.call('BITCOUNT', billed, from_byte, to_byte)
  -- Bit by bit up to a byte boundary, whole bytes, then bit by bit to the end.
  local id = first
  while id <= final and id % 8 ~= 0 do set_bit(id); id = id + 1 end
  local whole = math.floor((final - id + 1) / 8)
  if whole > 0 then
    redis.call('SETRANGE', billed, string.format('%d', id / 8), string.rep('\255', whole))
    id = id + whole * 8
  end
  while id <= final do set_bit(id); id = id + 1 end
  counted = counted + redis.call('BITCOUNT', billed, from_byte, to_byte) - before
end

local raw_counted = 0
if raws > 0 then
  local holder = redis.call('GET', lease)
  if not holder or holder == node then
    redis.call('SET', lease, node, 'PX', lease_ms)
    raw_counted = raws
  end
end

redis.call('HSET', claims, node, number .. ' ' .. counted .. ' ' .. raw_counted)
redis.call('EXPIRE', claims, expiry)
if #ARGV >= 6 then redis.call('EXPIRE', billed, expiry) end
return {counted, raw_counted}
