// `livechat serve --with-saver` (SPEC 1, 8, 9): a node that runs the saver in-process, on a real
// Redis and a real PostgreSQL started by the test. What the nodes acknowledge reaches PostgreSQL
// once; that node's /metrics carries the saver's figures (a node without one carries none of
// them, only the lag, which Redis holds for every node); SIGTERM lets the saver finish the
// batch under way. Everything waits by polling what it checks.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { createRoom, newUser, request } from './lib/api.mjs';
import { pollUntil } from './lib/clients.mjs';
import { startCluster } from './lib/cluster.mjs';
import { handoffIds, pendingEntries } from './lib/handoff.mjs';
import { assertIds, sendMessage, startPublisher } from './lib/messages.mjs';
import { scrape } from './lib/metrics.mjs';
import { freePort } from './lib/server.mjs';

const WAIT = { timeoutMs: 30_000, intervalMs: 50 };

/** The saver's own figures, which only a node running one shows. */
const SAVER_FIGURES = ['livechat_saver_messages_saved_total', 'livechat_saver_batches_total',
  'livechat_saver_entries_claimed_total', 'livechat_saver_unreadable_entries_total',
  'livechat_saver_failures_total', 'livechat_redis_reconnects_total{connection="saver"}',
  'livechat_redis_connected{connection="saver"}'];

test('a node with --with-saver stores what the nodes acknowledge once and shows the saver on /metrics', async () => {
  const cluster = await startCluster({ nodes: 1, args: ['--with-saver'] });
  const [saving] = cluster.nodes;
  const plain = await cluster.startNode({ args: [] });
  const alice = await newUser(saving.url, 'alice');
  const { chatRoomId: roomId } = await createRoom(saving.url, alice.accessToken, 'saved');

  const sent = [];
  for (let n = 1; n <= 30; n += 1) {
    sent.push(await sendMessage((n % 2 ? saving : plain).url, alice.accessToken, roomId, `message ${n}`));
  }
  assertIds(sent.map((m) => m.id), 1, 30, 'acknowledged');
  await pollUntil(async () => (await cluster.savedIds(roomId)).length >= 30, 'the saver to store 30 messages', WAIT);
  assertIds(await cluster.savedIds(roomId), 1, 30, 'in PostgreSQL');

  const figures = await pollUntil(async () => {
    const now = await scrape(saving.url);
    return now.livechat_saver_lag === 0 && now.livechat_saver_messages_saved_total === 30 && now;
  }, 'a lag of 0 and 30 messages saved on the node\'s /metrics', WAIT);
  for (const series of SAVER_FIGURES) assert.equal(typeof figures[series], 'number', `${series} is exported`);
  assert.ok(figures.livechat_saver_batches_total >= 1);
  assert.equal(figures.livechat_saver_entries_claimed_total, 0);
  assert.equal(figures.livechat_saver_unreadable_entries_total, 0);
  assert.equal(figures['livechat_redis_connected{connection="saver"}'], 1);
  assert.equal(figures['livechat_redis_connected{connection="command"}'], 1);
  assert.equal((await request(saving.url, 'GET', '/readyz')).status, 200);

  // A node without a saver shows the lag (Redis holds it for every node) and none of the rest.
  const other = await scrape(plain.url);
  assert.equal(other.livechat_saver_lag, 0);
  for (const series of SAVER_FIGURES) assert.equal(other[series], undefined, `${series} without a saver`);

  // PostgreSQL holds what was acknowledged, word for word.
  const rows = await cluster.sql('SELECT sender, contents, sent_at FROM messages ' +
                                 `WHERE room_id = '${roomId}' ORDER BY message_id`);
  assert.deepEqual(rows.split('\n').map((row) => row.split('|')),
                   sent.map((m) => [m.sender, m.contents, String(Date.parse(m.messageTimestamp))]));
});

test('SIGTERM of a node with --with-saver finishes the batch under way: nothing lost or stored twice', async () => {
  // The messages go through a node without a saver, so that they keep coming while the saving
  // node stops.
  const cluster = await startCluster({ nodes: 1 });
  const [plain] = cluster.nodes;
  const port = await freePort();  // the same port after the restart: the same consumer name
  let saving = await cluster.startNode({ args: ['--with-saver'], port });
  const alice = await newUser(plain.url, 'alice');
  const { chatRoomId: roomId } = await createRoom(plain.url, alice.accessToken, 'stopping');

  const publisher = startPublisher(plain.url, alice.accessToken, roomId, { intervalMs: 1 });
  await pollUntil(async () => (await cluster.savedIds(roomId)).length >= 50, 'the saver to store 50 messages', WAIT);
  const stopped = await saving.stop('SIGTERM');
  assert.equal(stopped.code, 0, `SIGTERM: exit 0 (${JSON.stringify(stopped)})`);

  // No saver runs now. What it read, it stored and acknowledged: nothing is left pending, and
  // every acknowledged id is either in PostgreSQL or still in the hand-off stream, not both.
  assert.equal(await pendingEntries(cluster.redis), 0, 'entries read and not acknowledged');
  const saved = await cluster.savedIds(roomId);
  const acked = (await publisher.stop()).map((m) => m.id);
  const waiting = await handoffIds(cluster.redis, roomId);
  assert.ok(waiting.length > 0, 'messages kept coming after the stop');
  assert.deepEqual(saved.filter((id) => waiting.includes(id)), [], 'stored and still handed off');
  assertIds([...saved, ...waiting].sort((x, y) => x - y), 1, acked.length, 'stored or waiting');
  assertIds(acked, 1, acked.length, 'acknowledged');

  // Started again, it stores the rest: every id once.
  saving = await cluster.startNode({ args: ['--with-saver'], port });
  await pollUntil(async () => (await cluster.savedIds(roomId)).length >= acked.length,
                  'the restarted saver to store the rest', WAIT);
  assertIds(await cluster.savedIds(roomId), 1, acked.length, 'in PostgreSQL');
  await pollUntil(async () => (await scrape(saving.url)).livechat_saver_lag === 0, 'a lag of 0', WAIT);
  assert.equal((await saving.stop('SIGTERM')).code, 0);
});
