-- publish: keeps messages of one room and hands them to every node, all or nothing.
--
-- KEYS[1]  room state hash    {lc:S}:room:<id>:state   (seq, closed, ended, committed)
-- KEYS[2]  room history       {lc:S}:room:<id>:history
-- KEYS[3]  room left set      {lc:S}:room:<id>:left
-- KEYS[4]  shard hand-off     {lc:S}:handoff
-- ARGV[1]  room id (written into hand-off entries)
-- ARGV[2]  the room's channel ({lc:S}:room:<id>)
-- ARGV[3]  history size: the history stream keeps at least the latest this many messages
-- ARGV[4]  sender to refuse if KEYS[3] holds it ('' for no check: sessions, tenant posts)
-- ARGV[5…] one payload per message: a JSON object without "id", starting with `{"`
--
-- Returns {"ok", first_id}: the messages got ids first_id … first_id + n - 1, in ARGV order.
-- Returns {"closed" | "ended" | "left", last_id} and writes nothing when the room is closed,
-- the session ended, or the sender's membership was revoked.
--
-- Atomic promise: the ids are the room's next ones, with no gap and no repeat; each message is
-- in the history stream (entry `<id>-0`, field m = the payload with "id" first) and in the
-- shard's hand-off stream (fields room, id, m) before any other command runs; the channel gets
-- one PUBLISH of the JSON array of these messages, ordered after every earlier publish and
-- control event of the room. History is trimmed to the history size, but never above the
-- saver's watermark (`committed` + 1), so a resume never finds a gap between Redis and the
-- database.

local state, history, left, handoff = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local room, channel = ARGV[1], ARGV[2]
local history_size = tonumber(ARGV[3])
local sender = ARGV[4]
local count = #ARGV - 4
if count < 1 or history_size == nil or history_size < 0 then
  return redis.error_reply('ERR publish: needs a history size and at least one payload')
end

local fields = redis.call('HMGET', state, 'seq', 'closed', 'ended', 'committed')
local last = tonumber(fields[1]) or 0
if fields[2] then return {'closed', last} end
if fields[3] then return {'ended', last} end
if sender ~= '' and redis.call('SISMEMBER', left, sender) == 1 then return {'left', last} end

for i = 5, #ARGV do
  if string.sub(ARGV[i], 1, 2) ~= '{"' then
    return redis.error_reply('ERR publish: payload ' .. (i - 4) .. ' is not a JSON object with members')
  end
end

local first = redis.call('HINCRBY', state, 'seq', count) - count + 1
local stored = {}
for i = 1, count do
  local id = first + i - 1
  local message = '{"id":' .. id .. ',' .. string.sub(ARGV[i + 4], 2)
  stored[i] = message
  redis.call('XADD', history, id .. '-0', 'm', message)
  redis.call('XADD', handoff, '*', 'room', room, 'id', id, 'm', message)
end

local newest = first + count - 1
local keep_from = newest - history_size + 1
local committed = tonumber(fields[4]) or 0
if keep_from > committed + 1 then keep_from = committed + 1 end
if keep_from > 1 then redis.call('XTRIM', history, 'MINID', keep_from .. '-0') end

redis.call('PUBLISH', channel, '[' .. table.concat(stored, ',') .. ']')
return {'ok', first}
