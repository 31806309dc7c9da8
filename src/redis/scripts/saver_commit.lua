-- saver_commit: after the saver committed messages to the database, advances each room's
-- watermark and acknowledges the hand-off entries, in one step.
--
-- KEYS[1]              shard hand-off stream   {lc:S}:handoff
-- KEYS[3k-1 .. 3k+1]   for range k = 1…R: the room's state hash, history stream, commits set
-- ARGV[1]              consumer group (savers)
-- ARGV[2]              history size (as for publish)
-- ARGV[3]              R, the number of ranges
-- ARGV[4 … 3+2R]       per range: first id, last id — ids first…last of that room are now
--                      committed (a room may appear in several ranges)
-- ARGV[4+2R …]         hand-off entry ids to XACK and XDEL (a few thousand at most per call:
--                      Lua's unpack has a limit)
--
-- Returns {acknowledged, watermark_1, …, watermark_R}: the entries acknowledged, then each
-- range's room watermark after this call.
--
-- Atomic promise: a room's `committed` watermark W only ever grows and means "every id <= W
-- is in the database": a range that does not touch W + 1 (another saver still holds the ids
-- between) waits in the commits set until the gap is committed. History is then trimmed as
-- publish does (never above W + 1). Acknowledged entries leave the hand-off stream, so its
-- length is the saver's lag.

local ranges = tonumber(ARGV[3])
if ranges == nil or #KEYS ~= 1 + 3 * ranges or #ARGV < 3 + 2 * ranges then
  return redis.error_reply('ERR saver_commit: KEYS must be 1 + 3R and ARGV 3 + 2R + entries')
end
local history_size = tonumber(ARGV[2])

local result = {0}
for k = 1, ranges do
  local state, history, commits = KEYS[3 * k - 1], KEYS[3 * k], KEYS[3 * k + 1]
  local first, last = tonumber(ARGV[2 + 2 * k]), tonumber(ARGV[3 + 2 * k])
  local fields = redis.call('HMGET', state, 'seq', 'committed')
  local seq, watermark = tonumber(fields[1]) or 0, tonumber(fields[2]) or 0
  if last > watermark then
    if first <= watermark + 1 then
      watermark = last
    else
      redis.call('ZADD', commits, first, last)
    end
    -- Absorb the waiting ranges that now touch the watermark.
    while true do
      local lowest = redis.call('ZRANGE', commits, 0, 0, 'WITHSCORES')
      if #lowest == 0 or tonumber(lowest[2]) > watermark + 1 then break end
      watermark = math.max(watermark, tonumber(lowest[1]))
      redis.call('ZREM', commits, lowest[1])
    end
    redis.call('HSET', state, 'committed', watermark)
    local keep_from = math.min(seq - history_size + 1, watermark + 1)
    if keep_from > 1 then redis.call('XTRIM', history, 'MINID', keep_from .. '-0') end
  end
  result[k + 1] = watermark
end

local first_entry = 4 + 2 * ranges
if #ARGV >= first_entry then
  local entries = {unpack(ARGV, first_entry)}
  result[1] = redis.call('XACK', KEYS[1], ARGV[1], unpack(entries))
  redis.call('XDEL', KEYS[1], unpack(entries))
end
return result
