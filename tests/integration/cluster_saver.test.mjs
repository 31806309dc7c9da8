// Two `livechat serve` nodes and one `livechat saver` on one Redis and one PostgreSQL, each
// started by the test on free loopback ports (SPEC 5 "acknowledged means kept", 9): members on
// different nodes chat while the saver is killed and restarted, and while Redis restarts; in
// the end PostgreSQL holds every id exactly once, read directly with psql and through history
// once Redis has trimmed its copy. Everything waits by polling what it checks.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { connectStomp, openSse, pollUntil } from './lib/clients.mjs';
import { postThroughOutages, sharedRoom, startCluster, waitReady } from './lib/cluster.mjs';
import { roomKeys } from './lib/handoff.mjs';
import { assertIds, fullHistory, getHistory, sendMessage } from './lib/messages.mjs';
import { scrape } from './lib/metrics.mjs';
import { freePort } from './lib/server.mjs';
import { subscribeConfirmed as subscribe } from './lib/sessions.mjs';

const WAIT = { timeoutMs: 30_000, intervalMs: 50 };
const HISTORY_SIZE = 20;

test('kill -9 of the saver, 100 messages through both nodes, a restart: all in PostgreSQL once', async () => {
  const cluster = await startCluster({ env: { HISTORY_SIZE } });
  const [a, b] = cluster.nodes;
  const saverPort = await freePort();  // the same port after the restart: the same consumer name
  let saver = await cluster.startSaver({ port: saverPort });
  const { alice, bob, roomId } = await sharedRoom(cluster.nodes);
  const stomp = await connectStomp(a.url, { token: alice.accessToken });
  const onA = await subscribe(stomp, `/chat/${roomId}`);
  const onB = await openSse(b.url, `/chatrooms/${roomId}/events`, { token: bob.accessToken });
  // REST posts alternate between the nodes: alice on node 0, bob on node 1.
  const send = async (n) => {
    const [node, user] = n % 2 ? [a, alice] : [b, bob];
    return (await sendMessage(node.url, user.accessToken, roomId, `message ${n}`)).id;
  };

  for (let n = 1; n <= 10; n += 1) await send(n);
  await pollUntil(async () => (await cluster.savedIds(roomId)).length === 10, 'the saver to store 10', WAIT);
  assert.equal((await saver.kill9()).signal, 'SIGKILL');

  const ids = [];
  for (let n = 11; n <= 110; n += 1) ids.push(await send(n));
  assertIds(ids, 11, 110, 'acknowledged while no saver ran');
  await onA.waitForId(110);
  await onB.waitForId(110);
  assertIds(onA.ids, 1, 110, 'STOMP on node 0');
  assertIds(onB.ids, 1, 110, 'SSE on node 1');
  // Kept in Redis, not yet in PostgreSQL: every node shows the lag.
  assert.equal((await cluster.savedIds(roomId)).length, 10);
  for (const node of [a, b]) assert.equal((await scrape(node.url)).livechat_saver_lag, 100);

  saver = await cluster.startSaver({ port: saverPort });
  await pollUntil(async () => (await scrape(saver.url)).livechat_saver_lag === 0, 'a lag of 0', WAIT);
  assertIds(await cluster.savedIds(roomId), 1, 110, 'in PostgreSQL');
  assert.equal(await cluster.sql(`SELECT count(*) FROM messages WHERE room_id = '${roomId}' ` +
                                 `AND contents = 'message ' || message_id`), '110', 'each row holds its own message');

  // Redis now keeps the last HISTORY_SIZE only; history below them comes from PostgreSQL.
  const kept = await cluster.redis.command('XRANGE', roomKeys(roomId).history, '-', '+');
  assert.deepEqual(kept.map(([entry]) => entry), Array.from({ length: HISTORY_SIZE }, (_, i) => `${91 + i}-0`));
  assert.deepEqual(await fullHistory(a.url, alice.accessToken, roomId), onA.messages);
  assert.deepEqual(await fullHistory(b.url, bob.accessToken, roomId), onB.messages);
  const across = await getHistory(b.url, bob.accessToken, roomId, { beforeId: 95, limit: 10 });
  assert.equal(across.status, 200, across.text);
  assert.deepEqual(across.json.messages, onB.messages.slice(84, 94), 'ids 85-94: PostgreSQL, then Redis');

  assert.equal((await saver.stop('SIGTERM')).code, 0);
  stomp.disconnect?.();
});

test('Redis restarts while messages flow through two nodes and the saver runs: every id once in PostgreSQL', async () => {
  const cluster = await startCluster();
  const [a, b] = cluster.nodes;
  const saver = await cluster.startSaver();
  const { alice, bob, roomId } = await sharedRoom(cluster.nodes);

  const sender = postThroughOutages(cluster.nodes, { alice, bob, roomId });
  await sender.waitForAcked(20);
  await pollUntil(async () => (await cluster.savedIds(roomId)).length > 0, 'the saver to store some', WAIT);
  await cluster.redis.killHard();
  await Promise.all([a, b, saver].map((server) => waitReady(server.url, 503)));
  await cluster.redis.restart();
  await Promise.all([a, b, saver].map((server) => waitReady(server.url, 200)));
  await sender.waitForAcked(sender.acked.length + 20);
  const { acked, refused } = await sender.stop();
  assert.ok(refused > 0, 'sends were refused while Redis was away');

  // Every id the room took (a send cut off with its script in flight may have taken one
  // without being acknowledged) ends in PostgreSQL once, acknowledged ones among them.
  const last = Number(await cluster.redis.command('HGET', roomKeys(roomId).state, 'seq'));
  assert.ok(Math.max(...acked) <= last);
  await pollUntil(async () => (await scrape(saver.url)).livechat_saver_lag === 0, 'a lag of 0', WAIT);
  assertIds(await cluster.savedIds(roomId), 1, last, 'in PostgreSQL');
  assert.equal(await cluster.redis.command('HGET', roomKeys(roomId).state, 'committed'), String(last));
});
