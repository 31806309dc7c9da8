-- control: records a fact about a room that every node must honour, and tells them in order
-- with the room's messages.
--
-- KEYS[1]  room state hash    {lc:S}:room:<id>:state
-- KEYS[2]  room history       {lc:S}:room:<id>:history
-- KEYS[3]  room left set      {lc:S}:room:<id>:left
-- ARGV[1]  kind: closed | ended | left | joined
-- ARGV[2]  room id
-- ARGV[3]  the room's channel
-- ARGV[4]  user id (left, joined; ignored otherwise)
--
-- closed / ended: sets the state field to the room's last id, the first time only.
-- left: adds the user to the left set (publish refuses them from then on).
-- joined: removes the user from the left set; nothing is published.
-- Returns {"ok", last_id} when the fact is new, {"already", last_id} when it was already
-- recorded (nothing is written or published again).
--
-- Atomic promise: the event {"type":kind,"roomId":…,"userId":…?,"lastId":last_id} is appended
-- to the history stream at `<last_id>-*` (after message last_id, before message last_id + 1)
-- and PUBLISHed as a one-element JSON array on the channel: every subscriber gets it after the
-- messages up to last_id and before any later one, and a resume by XRANGE finds it in place.
-- After `closed`, `ended` or `left` no publish of the room (or of that sender) succeeds.

local state, history, left = KEYS[1], KEYS[2], KEYS[3]
local kind, room, channel, user = ARGV[1], ARGV[2], ARGV[3], ARGV[4] or ''
local last = tonumber(redis.call('HGET', state, 'seq')) or 0

if kind == 'joined' then
  redis.call('SREM', left, user)
  return {'ok', last}
end

if kind == 'closed' or kind == 'ended' then
  if redis.call('HSETNX', state, kind, last) == 0 then return {'already', last} end
elseif kind == 'left' then
  if user == '' then return redis.error_reply('ERR control: left needs a user id') end
  if redis.call('SADD', left, user) == 0 then return {'already', last} end
else
  return redis.error_reply('ERR control: unknown kind ' .. kind)
end

local event = '{"type":' .. cjson.encode(kind) .. ',"roomId":' .. cjson.encode(room)
if kind == 'left' then event = event .. ',"userId":' .. cjson.encode(user) end
event = event .. ',"lastId":' .. last .. '}'
redis.call('XADD', history, last .. '-*', 'c', event)
redis.call('PUBLISH', channel, '[' .. event .. ']')
return {'ok', last}
