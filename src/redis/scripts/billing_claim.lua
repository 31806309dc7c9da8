-- billing_claim: counts a node's deliveries of one session for billing, each message once in
-- the cluster however many nodes delivered it (SPEC 7). A node runs it once per session per
-- billing interval with what it delivered in that interval.
--
-- KEYS[1]  billed bitmap       {lc:S}:room:<id>:billed      bit n set: message n was counted
-- KEYS[2]  raw biller lease    {lc:S}:room:<id>:raw-biller  the node that counts raw messages
-- KEYS[3]  claims hash         {lc:S}:room:<id>:claims      per node: its last claim's answer;
--                                                            field `raw-mark`: the coverage mark
-- ARGV[1]  node id (random per process)
-- ARGV[2]  claim number (the node's, increasing; a retry of a claim keeps its number)
-- ARGV[3]  raw lease, in milliseconds
-- ARGV[4]  expiry of the bitmap and the claims hash, in seconds (refreshed by every claim)
-- ARGV[5]  skew guard, in milliseconds (below)
-- ARGV[6]  1 when the node stops: this claim releases the lease instead of renewing it
-- ARGV[7]  n: the number of raw buckets that follow
-- ARGV[8…7+2n]  each raw bucket: its time (ms since the epoch, when the node received its raw
--          messages from Redis) and how many raw messages (no id) the node delivered in it
-- ARGV[8+2n…]  first and last id of each range of ids the node delivered: first last first last…
--
-- Ids: sets each range's bits and counts those that were not set before (BITCOUNT over the
-- range's bytes before and after), so a message counts for the first node to claim it only.
--
-- Raw messages have no id: their times tell nodes' deliveries apart. The coverage mark
-- (`<time> <node>`) is the newest raw bucket counted, and the node that counted it; a claim
-- takes as covered the buckets up to the mark, plus the skew guard when another node set it
-- (the same message arrives at two nodes a few milliseconds apart). A claim counts its raw
-- buckets newer than that only when the lease is free or its own; counting some takes or renews
-- the lease and moves the mark, counting none (no raw message since the last claim) or
-- stopping releases a lease the node holds. While another node holds it, nothing is counted.
-- Returns {ids counted, raw messages counted, covered, holding}: the node forgets its raw
-- buckets up to `covered` (counted, here or by the holder) and keeps the newer ones for its next
-- claim; `holding` is 1 when the node holds the lease after this claim.
--
-- Atomic promise: a claim is counted once. The answer is recorded under the node's id in the
-- claims hash, and the same claim number sent again (its reply was lost) gets the recorded
-- answer back, changing nothing.

local billed, lease, claims = KEYS[1], KEYS[2], KEYS[3]
local node, number = ARGV[1], ARGV[2]
local lease_ms, expiry, guard = ARGV[3], ARGV[4], tonumber(ARGV[5])
local stopping = ARGV[6] == '1'
local ranges_from = 8 + 2 * tonumber(ARGV[7])

local last = redis.call('HGET', claims, node)
if last then
  local seen, ids, raw, covered, holding = string.match(last, '^(%d+) (%d+) (%d+) (%d+) (%d)$')
  if seen == number then
    return {tonumber(ids), tonumber(raw), tonumber(covered), tonumber(holding)}
  end
end

local function set_bit(id)
  redis.call('SETBIT', billed, string.format('%d', id), 1)
end

local counted = 0
for i = ranges_from, #ARGV - 1, 2 do
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

local covered = 0
local mark = redis.call('HGET', claims, 'raw-mark')
if mark then
  local time, marker = string.match(mark, '^(%d+) (%S+)$')
  covered = tonumber(time)
  if marker ~= node then covered = covered + guard end
end

local raw_counted, holding = 0, 0
local holder = redis.call('GET', lease)
if not holder or holder == node then
  local newest = 0
  for i = 8, ranges_from - 1, 2 do
    local time = tonumber(ARGV[i])
    if time > covered then
      raw_counted = raw_counted + tonumber(ARGV[i + 1])
      newest = math.max(newest, time)
    end
  end
  if raw_counted > 0 then
    covered = newest
    redis.call('HSET', claims, 'raw-mark', string.format('%d', newest) .. ' ' .. node)
  end
  if raw_counted > 0 and not stopping then
    redis.call('SET', lease, node, 'PX', lease_ms)
    holding = 1
  elseif holder then
    redis.call('DEL', lease)
  end
end

covered = string.format('%d', covered)
redis.call('HSET', claims, node,
           number .. ' ' .. counted .. ' ' .. raw_counted .. ' ' .. covered .. ' ' .. holding)
redis.call('EXPIRE', claims, expiry)
if #ARGV >= ranges_from then redis.call('EXPIRE', billed, expiry) end
return {counted, raw_counted, tonumber(covered), holding}
