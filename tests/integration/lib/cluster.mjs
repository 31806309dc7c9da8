// Cluster mode for the tests: one Redis (lib/redis.mjs) and one PostgreSQL database
// (lib/postgres.mjs, one server per test file) shared by several `livechat serve` nodes, each
// on its own free port, all signing tokens with one JWT_SECRET.

import assert from 'node:assert/strict';

import { createRoom, joinRoom, newUser, request } from './api.mjs';
import { sleep } from './clients.mjs';
import { postMessage } from './messages.mjs';
import { sharedPostgres } from './postgres.mjs';
import { startRedis } from './redis.mjs';
import { randomSecret, startServer } from './server.mjs';

export const API_KEY = 'cluster-test-key';

let databases = 0;

/**
 * Starts Redis and `nodes` livechat nodes on a fresh database. Resolves to {redis, nodes:
 * [server…], databaseUrl, startNode({args, port}), startSaver({port}), sql(command),
 * savedIds(roomId)}: more nodes (`args` such as ['--with-saver'], `port` to restart one at its
 * address), a `livechat saver` on the same Redis and database, psql on that database, and the
 * ids PostgreSQL holds of a room.
 */
export async function startCluster({ nodes = 2, env = {}, args = [] } = {}) {
  const pg = await sharedPostgres();
  databases += 1;
  const database = `cluster_${process.pid}_${databases}`;
  const databaseUrl = await pg.createDatabase(database);
  const redis = await startRedis();
  const jwtSecret = randomSecret();
  const shared = { REDIS_URL: redis.url, DATABASE_URL: databaseUrl, ...env };
  const startNode = (options = {}) => startServer({
    jwtSecret,
    port: options.port,
    args: options.args ?? args,
    env: {
      LIVECHAT_API_KEY: API_KEY, FLUSH_INTERVAL_MS: 10, RATE_LIMIT_PER_S: 100000,
      RATE_LIMIT_BURST: 100000, ...shared,
    },
  });
  const startSaver = ({ port } = {}) => startServer({ command: 'saver', port, env: shared });
  /** The ids of a room's messages in PostgreSQL, ascending, repeats included. */
  const sql = (command) => pg.sql(command, database);
  const savedIds = async (roomId) => {
    const ids = await sql(`SELECT message_id FROM messages WHERE room_id = '${roomId}' ORDER BY message_id`);
    return ids === '' ? [] : ids.split('\n').map(Number);
  };
  const started = [];
  for (let i = 0; i < nodes; i += 1) started.push(await startNode());
  return { redis, nodes: started, databaseUrl, startNode, startSaver, sql, savedIds };
}

/** A room made by a user of node 0, joined by a user of node 1: {alice, bob, roomId}. */
export async function sharedRoom(nodes) {
  const [a, b] = nodes;
  const alice = await newUser(a.url, 'alice');
  const bob = await newUser(b.url, 'bob');
  const room = await createRoom(a.url, alice.accessToken, 'across nodes');
  assert.equal((await joinRoom(b.url, bob.accessToken, room.chatRoomId)).status, 200);
  return { alice, bob, roomId: room.chatRoomId };
}

/** Polls GET /readyz on `url` until it answers `status`. */
export async function waitReady(url, status, timeoutMs = 30_000) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const res = await request(url, 'GET', '/readyz');
    if (res.status === status) return;
    if (performance.now() > deadline) {
      throw new Error(`GET ${url}/readyz stayed ${res.status} (${res.text}), expected ${status}`);
    }
    await sleep(20);
  }
}

/** The room's channels that hold at least one subscriber in Redis (PUBSUB CHANNELS). */
export function roomChannels(redis, roomId) {
  return redis.command('PUBSUB', 'CHANNELS', `{lc:*}:room:${roomId}`);
}

/** Polls PUBSUB NUMSUB of the room's channel until it is `count`; resolves to the channel. */
export async function waitSubscribers(redis, roomId, count, timeoutMs = 10_000) {
  const deadline = performance.now() + timeoutMs;
  let seen;
  for (;;) {
    const channels = await roomChannels(redis, roomId);
    seen = channels.length === 0 ? 0
      : Number((await redis.command('PUBSUB', 'NUMSUB', channels[0]))[1]);
    if (seen === count) return channels[0];
    if (performance.now() > deadline) {
      throw new Error(`room ${roomId}: ${seen} subscriber connections in Redis, expected ${count}`);
    }
    await sleep(20);
  }
}

/** Polls PUBSUB NUMSUB of the raw channel `<sessionId>` until it is `count`. */
export async function waitRawSubscribers(redis, sessionId, count, timeoutMs = 10_000) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const seen = Number((await redis.command('PUBSUB', 'NUMSUB', sessionId))[1]);
    if (seen === count) return;
    if (performance.now() > deadline) {
      throw new Error(`channel ${sessionId}: ${seen} subscribers in Redis, expected ${count}`);
    }
    await sleep(20);
  }
}

/**
 * Sends through `sendOne(n)` in a loop until stop(), counting refusals while Redis is away:
 * sendOne resolves to the acknowledged ids (empty when refused) and throws on anything else,
 * which ends the loop and fails stop(). stop() resolves to {acked, refused}.
 */
export function sendThroughOutages(sendOne, { intervalMs = 5 } = {}) {
  let running = true;
  let refused = 0;
  let failure = null;
  const acked = [];
  const done = (async () => {
    for (let n = 1; running; n += 1) {
      const ids = await sendOne(n);
      if (ids.length === 0) refused += 1;
      acked.push(...ids);
      await sleep(intervalMs);
    }
  })().catch((error) => { failure = error; running = false; });
  return {
    acked,
    get refused() { return refused; },
    async waitForAcked(count, timeoutMs = 20_000) {
      const deadline = performance.now() + timeoutMs;
      while (acked.length < count) {
        if (failure) throw failure;
        if (performance.now() > deadline) throw new Error(`only ${acked.length} of ${count} acknowledged`);
        await sleep(5);
      }
    },
    async stop() {
      running = false;
      await done;
      if (failure) throw failure;
      return { acked: [...acked], refused };
    },
  };
}

/**
 * sendThroughOutages of REST posts to a sharedRoom, alternating between the nodes (alice on
 * node 0, bob on node 1): a 201 counts its id, a 503 a refusal, anything else fails the loop.
 */
export function postThroughOutages([a, b], { alice, bob, roomId }) {
  return sendThroughOutages(async (n) => {
    const [node, user] = n % 2 ? [a, alice] : [b, bob];
    const res = await postMessage(node.url, user.accessToken, roomId, `flow ${n}`);
    if (res.status === 201) return [res.json.id];
    if (res.status !== 503) throw new Error(`a refusal must be 503: ${res.status} ${res.text}`);
    return [];
  });
}
