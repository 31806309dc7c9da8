// Cluster mode (SPEC sections 1, 5, 6 and 9): two `livechat serve` nodes on one Redis and one
// PostgreSQL, each started by the test on free loopback ports. Messages travel between the
// nodes through Redis with the same ids everywhere; a node holds a room's channel only while
// it has listeners; Redis restarts and cut connections lose no acknowledged message; Chat
// Sync's raw `<sessionId>_END` is heard by every node.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';

import { createRoom, exitRoom, newUser, request } from './lib/api.mjs';
import { connectStomp, describeIds, openSse, range } from './lib/clients.mjs';
import {
  API_KEY, postThroughOutages, roomChannels, sharedRoom, startCluster, waitReady, waitSubscribers,
} from './lib/cluster.mjs';
import { fullHistory, postMessage, sendMessage } from './lib/messages.mjs';
import { publishOk, sessionSsePath, subscribeConfirmed as subscribe } from './lib/sessions.mjs';

/** Every acknowledged id was seen exactly once, and what was seen ascends without a gap. */
function assertExactlyOnce(seen, acked, what) {
  const unique = new Set(seen);
  assert.equal(unique.size, seen.length, `${what}: an id came twice: ${describeIds(seen)}`);
  assert.deepEqual(seen, range(1, seen.length), `${what}: ids ${describeIds(seen)}`);
  const missing = acked.filter((id) => !unique.has(id));
  assert.deepEqual(missing, [], `${what}: acknowledged ids never delivered`);
}

test('members on two nodes chat over STOMP and SSE and see the same ids in the same order', async () => {
  const { nodes } = await startCluster();
  const [a, b] = nodes;
  const { alice, bob, roomId } = await sharedRoom(nodes);

  const stomp = await connectStomp(a.url, { token: alice.accessToken });
  const overStomp = await subscribe(stomp, `/chat/${roomId}`);
  const overSse = await openSse(b.url, `/chatrooms/${roomId}/events`, { token: bob.accessToken });

  // REST posts alternate between the nodes, STOMP sends in between: consecutive ids.
  const ids = [];
  for (let n = 1; n <= 10; n += 1) {
    const [node, user] = n % 2 ? [a, alice] : [b, bob];
    ids.push((await sendMessage(node.url, user.accessToken, roomId, `rest ${n}`)).id);
  }
  assert.deepEqual(ids, range(1, 10), 'REST posts alternating between nodes');
  await stomp.publishWithReceipt(`/queue/message/${roomId}`, { contents: 'over STOMP on node 0' });

  await overStomp.waitForId(11);
  await overSse.waitForId(11);
  assert.deepEqual(overStomp.ids, range(1, 11));
  assert.deepEqual(overSse.messages, overStomp.messages, 'the same messages on both nodes');
  assert.deepEqual(await fullHistory(b.url, bob.accessToken, roomId), overStomp.messages);
  assert.deepEqual(await fullHistory(a.url, alice.accessToken, roomId), overStomp.messages);

  // Resume on the other node from the middle: what follows, once.
  const resumed = await openSse(a.url, `/chatrooms/${roomId}/events`,
                                { token: alice.accessToken, lastEventId: 6 });
  await resumed.waitForId(11);
  assert.deepEqual(resumed.ids, range(7, 11));
  stomp.disconnect?.();
});

test('a node holds a room\'s channel only while it has listeners there', async () => {
  const { nodes, redis } = await startCluster();
  const [a, b] = nodes;
  const { alice, bob, roomId } = await sharedRoom(nodes);
  await sendMessage(a.url, alice.accessToken, roomId, 'nobody listens yet');
  assert.deepEqual(await roomChannels(redis, roomId), [], 'no listener: no subscription');

  const first = await openSse(a.url, `/chatrooms/${roomId}/events`, { token: alice.accessToken });
  await waitSubscribers(redis, roomId, 1);
  const second = await openSse(b.url, `/chatrooms/${roomId}/events`, { token: bob.accessToken });
  await waitSubscribers(redis, roomId, 2);
  await sendMessage(b.url, bob.accessToken, roomId, 'both listen');
  await first.waitForId(2);
  await second.waitForId(2);

  first.close();
  await waitSubscribers(redis, roomId, 1);
  second.close();
  await waitSubscribers(redis, roomId, 0);
});

test('closing a room on one node ends its streams on the other', async () => {
  const { nodes } = await startCluster();
  const [a, b] = nodes;
  const { alice, bob, roomId } = await sharedRoom(nodes);
  const overSse = await openSse(b.url, `/chatrooms/${roomId}/events`, { token: bob.accessToken });
  const stomp = await connectStomp(b.url, { token: bob.accessToken });
  const overStomp = await subscribe(stomp, `/chat/${roomId}`);
  await sendMessage(a.url, alice.accessToken, roomId, 'before the close');

  assert.equal((await exitRoom(a.url, alice.accessToken, roomId)).status, 200);
  await overSse.waitForClosed();
  await overStomp.waitForClosed();
  assert.deepEqual(overSse.ids, [1], 'the message before the close, then `closed`');
  assert.deepEqual(overStomp.ids, [1]);
  const refused = await postMessage(b.url, bob.accessToken, roomId, 'after the close');
  assert.equal(refused.status, 403, refused.text);
});

test('a raw <sessionId>_END published in Redis ends the session\'s streams on every node', async () => {
  const { nodes, redis } = await startCluster();
  const [a, b] = nodes;
  const sessionId = randomUUID();
  const onA = await openSse(a.url, sessionSsePath(sessionId));
  const onB = await openSse(b.url, sessionSsePath(sessionId));
  await waitSubscribers(redis, sessionId, 2);
  await publishOk(a.url, API_KEY, sessionId, { sender: 'host', contents: 'welcome' });
  await onB.waitForId(1);
  await onA.waitForId(1);

  await redis.command('PUBLISH', `${sessionId}_END`, 'x');
  await onA.waitForClosed();
  await onB.waitForClosed();
  const late = await request(b.url, 'POST', `/api/v1/sessions/${sessionId}/messages`,
                             { body: { sender: 'host', contents: 'too late' }, headers: { 'x-api-key': API_KEY } });
  assert.equal(late.status, 409, late.text);
});

/**
 * Messages flow (REST posts alternating between the nodes) while `outage` runs; afterwards
 * every listener on both nodes has every acknowledged id exactly once.
 */
async function survives(outage) {
  const cluster = await startCluster();
  const [a, b] = cluster.nodes;
  const { alice, bob, roomId } = await sharedRoom(cluster.nodes);
  const onA = await openSse(a.url, `/chatrooms/${roomId}/events`, { token: alice.accessToken });
  const stomp = await connectStomp(b.url, { token: bob.accessToken });
  const onB = await subscribe(stomp, `/chat/${roomId}`);
  await waitSubscribers(cluster.redis, roomId, 2);

  const sender = postThroughOutages(cluster.nodes, { alice, bob, roomId });
  await sender.waitForAcked(20);
  await outage(cluster);
  const before = sender.acked.length;
  await sender.waitForAcked(before + 20);
  const { acked, refused } = await sender.stop();

  const last = Math.max(...acked);
  await onA.waitForId(last);
  await onB.waitForId(last);
  assertExactlyOnce(onA.ids, acked, 'SSE on node 0');
  assertExactlyOnce(onB.ids, acked, 'STOMP on node 1');
  return { acked, refused };
}

test('kill -9 and restart of Redis while messages flow: every acknowledged id once on both nodes', async () => {
  const { refused } = await survives(async ({ redis, nodes }) => {
    await redis.killHard();
    await Promise.all(nodes.map((node) => waitReady(node.url, 503)));
    await redis.restart();
    await Promise.all(nodes.map((node) => waitReady(node.url, 200)));
  });
  assert.ok(refused > 0, 'sends were refused while Redis was away');
});

test('Redis down: /readyz is 503 and sends are refused with 503, then both recover', async () => {
  const { nodes, redis } = await startCluster();
  const [a] = nodes;
  const alice = await newUser(a.url, 'alice');
  const room = await createRoom(a.url, alice.accessToken, 'outage');
  await redis.killHard();
  await waitReady(a.url, 503);
  const refused = await postMessage(a.url, alice.accessToken, room.chatRoomId, 'while away');
  assert.equal(refused.status, 503, refused.text);
  await redis.restart();
  await waitReady(a.url, 200);
  const kept = await postMessage(a.url, alice.accessToken, room.chatRoomId, 'back');
  assert.equal(kept.status, 201, kept.text);
  assert.equal(kept.json.id, 1, 'the refused send took no id');
});

test('CLIENT KILL of the nodes\' Redis connections while messages flow: every acknowledged id once', async () => {
  await survives(async ({ redis }) => {
    for (const name of ['livechat-node', 'livechat-node-sub']) {
      const ids = await redis.clientIds(name);
      assert.equal(ids.length, 2, `${name}: one connection per node`);
      for (const id of ids) await redis.command('CLIENT', 'KILL', 'ID', id);
    }
  });
});
