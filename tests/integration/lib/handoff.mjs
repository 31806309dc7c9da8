// Cluster mode's Redis key layout (src/redis/key_layout.hpp) and the publish script run the
// way a node runs it, so that saver tests can fill the hand-off streams without a node.

import fs from 'node:fs';

export const SHARDS = 16;

const publishScript = fs.readFileSync(new URL('../../../src/redis/scripts/publish.lua', import.meta.url), 'utf8');

/** FNV-1a (32 bits) of the room id's UTF-8 bytes, modulo 16: key_layout's shard_of. */
export function shardOf(roomId) {
  let hash = 2166136261;
  for (const byte of Buffer.from(roomId, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 16777619) >>> 0;
  }
  return hash % SHARDS;
}

export const handoffKey = (shard) => `{lc:${shard}}:handoff`;

export function roomKeys(roomId) {
  const room = `{lc:${shardOf(roomId)}}:room:${roomId}`;
  return {
    state: `${room}:state`, history: `${room}:history`, left: `${room}:left`,
    commits: `${room}:commits`, handoff: handoffKey(shardOf(roomId)), channel: room,
    claims: `${room}:claims`, rawBiller: `${room}:raw-biller`,
  };
}

/**
 * Runs the publish script for one message of `roomId` from `sender`, as a node does; resolves
 * to the id it got.
 */
export async function publishMessage(redis, roomId, sender, contents, sentAt = new Date()) {
  const keys = roomKeys(roomId);
  const payload = JSON.stringify({
    type: 'message', roomId, sender, contents, messageTimestamp: sentAt.toISOString(),
  });
  const [status, id] = await redis.command('EVAL', publishScript, '4', keys.state, keys.history,
    keys.left, keys.handoff, roomId, keys.channel, '1000', '', payload);
  if (status !== 'ok') throw new Error(`publish refused: ${status}`);
  return id;
}

/** The hand-off entries not yet acknowledged, over every shard (the saver lag). */
export async function handoffLength(redis) {
  let total = 0;
  for (let shard = 0; shard < SHARDS; shard += 1) total += await redis.command('XLEN', handoffKey(shard));
  return total;
}

/** The message ids of a room's hand-off entries still in its shard's stream, ascending. */
export async function handoffIds(redis, roomId) {
  const entries = await redis.command('XRANGE', roomKeys(roomId).handoff, '-', '+');
  const ids = [];
  for (const [, fields] of entries) {
    const field = (name) => fields[fields.indexOf(name) + 1];
    if (field('room') === roomId) ids.push(Number(field('id')));
  }
  return ids.sort((x, y) => x - y);
}

/** Hand-off entries read by a saver and not acknowledged, over every shard (XPENDING). */
export async function pendingEntries(redis) {
  let total = 0;
  for (let shard = 0; shard < SHARDS; shard += 1) {
    const [count] = await redis.command('XPENDING', handoffKey(shard), 'savers');
    total += count;
  }
  return total;
}
