// Chat Sync's raw publishes in cluster mode (SPEC 6) and billing counted once across nodes
// (SPEC 7): a payload PUBLISHed in Redis on a session's own channel `<sessionId>` reaches the
// session's SSE and STOMP listeners on every node, with no id, kept nowhere; only nodes with
// listeners of the session hold that channel; each message is billed once however many nodes
// delivered it. Real redis-server, PostgreSQL, two nodes, real clients, a billing sink.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { test } from 'node:test';

import { TIMESTAMP, request } from './lib/api.mjs';
import { connectStomp, openRawSse, openSse, range } from './lib/clients.mjs';
import { API_KEY, startCluster, waitRawSubscribers, waitSubscribers } from './lib/cluster.mjs';
import { startBillingSink } from './lib/billing_sink.mjs';
import {
  fullSessionHistory, publishOk, publishSentinel, sessionDestination, sessionSsePath,
  subscribeConfirmed as subscribe,
} from './lib/sessions.mjs';

/** PUBLISH `payload` (a Buffer: any bytes) on `channel`, on a connection of its own. */
function publishBytes(redis, channel, payload) {
  const head = (bytes) => Buffer.from(`$${bytes.length}\r\n`);
  const channelBytes = Buffer.from(channel);
  const command = Buffer.concat([
    Buffer.from('*3\r\n'), head(Buffer.from('PUBLISH')), Buffer.from('PUBLISH\r\n'),
    head(channelBytes), channelBytes, Buffer.from('\r\n'), head(payload), payload, Buffer.from('\r\n'),
  ]);
  return new Promise((resolve, reject) => {
    const socket = net.connect(redis.port, '127.0.0.1', () => socket.write(command));
    socket.on('error', reject);
    socket.once('data', (reply) => {
      socket.end();
      const text = reply.toString();
      if (!text.startsWith(':')) reject(new Error(`PUBLISH answered ${text}`));
      else resolve(Number(text.slice(1)));
    });
  });
}

/** PUBLISH `text` on the session's raw channel; resolves to the number of nodes that heard it. */
const publishRaw = (redis, sessionId, text) => publishBytes(redis, sessionId, Buffer.from(text));

/** Waits until `receiver` (SSE client or STOMP subscription) holds `count` messages, ids or not. */
const waitForMessages = (receiver, count) =>
  receiver.waitFor((r) => r.messages.length >= count, 10_000, `${count} messages, raw ones included`);

const CHAT_SYNC_OBJECT = {
  message: 'hello from the old backend', nickname: 'neo', profileImgUrl: 'https://img.example/neo.png',
  createdAt: '2026-05-10T23:11:00.456Z',
};
const RAW_TEXT = 'plain text, "quoted", not JSON';

function assertRawObject(message, sessionId) {
  assert.deepEqual(message, {
    type: 'message', roomId: sessionId, sender: 'neo', contents: 'hello from the old backend',
    messageTimestamp: '2026-05-10T23:11:00.456Z', nickname: 'neo',
    profileImgUrl: 'https://img.example/neo.png',
  });
}

function assertRawText(message, sessionId) {
  assert.equal(message.id, undefined, 'a raw message has no id');
  assert.deepEqual(Object.keys(message).sort(),
                   ['contents', 'messageTimestamp', 'roomId', 'sender', 'type']);
  assert.equal(message.type, 'message');
  assert.equal(message.roomId, sessionId);
  assert.equal(message.sender, 'system');
  assert.equal(message.contents, RAW_TEXT);
  assert.match(message.messageTimestamp, TIMESTAMP);
}

test('raw publishes on <sessionId> reach SSE and STOMP listeners on both nodes, kept nowhere', async () => {
  const { nodes, redis } = await startCluster();
  const [a, b] = nodes;
  const sessionId = randomUUID();
  const sseA = await openSse(a.url, sessionSsePath(sessionId));
  const rawSseB = await openRawSse(b.url, sessionSsePath(sessionId));
  const stompA = await connectStomp(a.url);
  const stompB = await connectStomp(b.url);
  const onStompA = await subscribe(stompA, sessionDestination(sessionId));
  const onStompB = await subscribe(stompB, sessionDestination(sessionId));
  await waitSubscribers(redis, sessionId, 2);
  await waitRawSubscribers(redis, sessionId, 2);

  const [first] = await publishOk(a.url, API_KEY, sessionId, { sender: 'host', contents: 'one' });
  assert.equal(first, 1);
  await Promise.all([sseA, onStompA, onStompB].map((r) => r.waitForId(1)));

  assert.equal(await publishRaw(redis, sessionId, JSON.stringify(CHAT_SYNC_OBJECT)), 2, 'both nodes listen');
  assert.equal(await publishRaw(redis, sessionId, RAW_TEXT), 2);
  await Promise.all([sseA, onStompA, onStompB].map((r) => waitForMessages(r, 3)));
  const [second] = await publishOk(b.url, API_KEY, sessionId, { sender: 'host', contents: 'two' });
  assert.equal(second, 2, 'raw messages take no id: the next id follows');
  await Promise.all([sseA, onStompA, onStompB].map((r) => r.waitForId(2)));

  for (const [what, receiver] of [['SSE on A', sseA], ['STOMP on A', onStompA], ['STOMP on B', onStompB]]) {
    const got = receiver.messages;
    assert.equal(got.length, 4, `${what}: ${JSON.stringify(got)}`);
    assert.deepEqual(got.map((m) => m.id), [1, undefined, undefined, 2], `${what}: in the order received`);
    assertRawObject(got[1], sessionId);
    assertRawText(got[2], sessionId);
  }

  // STOMP: message-id {sessionId}:{id}, or {sessionId}:raw-{n} for raw ones.
  for (const subscription of [onStompA, onStompB]) {
    const ids = subscription.frames.map((f) => f.headers['message-id']);
    assert.equal(ids[0], `${sessionId}:1`);
    assert.match(ids[1], new RegExp(`^${sessionId}:raw-\\d+$`));
    assert.match(ids[2], new RegExp(`^${sessionId}:raw-\\d+$`));
    assert.notEqual(ids[1], ids[2]);
    assert.equal(ids[3], `${sessionId}:2`);
    for (const frame of subscription.frames) {
      assert.equal(frame.headers.destination, sessionDestination(sessionId));
      assert.equal(frame.headers['content-type'], 'application/json');
    }
  }

  // SSE on the wire: an event that holds only raw messages has no id: line; the others carry
  // their last message's id. (Each id'd message was delivered before the next publish, so the
  // raw ones travelled in events of their own.)
  await rawSseB.waitForText((t) => t.includes('"contents":"two"'));
  const events = rawSseB.events.filter((e) => e.data !== undefined);
  const messages = events.flatMap((e) => JSON.parse(e.data));
  assert.equal(messages.length, 4, rawSseB.text);
  assertRawObject(messages[1], sessionId);
  assertRawText(messages[2], sessionId);
  for (const event of events) {
    const ids = JSON.parse(event.data).map((m) => m.id).filter((id) => id !== undefined);
    assert.equal(event.id, ids.length ? String(ids[ids.length - 1]) : undefined, JSON.stringify(event));
  }
  assert.ok(events.some((e) => e.id === undefined), 'raw messages travelled without an id');

  // Not kept: history and resumes on either node hold the two ids only.
  assert.deepEqual((await fullSessionHistory(a.url, API_KEY, sessionId)).map((m) => m.id), [1, 2]);
  const resumed = await openSse(b.url, sessionSsePath(sessionId), { lastEventId: 0 });
  const resumedStomp = await subscribe(stompA, sessionDestination(sessionId), { 'x-since-id': '0' });
  await publishSentinel(a.url, API_KEY, sessionId, resumed, resumedStomp, sseA);
  assert.deepEqual(resumed.ids, range(1, 3), 'a resume replays ids only');
  assert.deepEqual(resumedStomp.ids, range(1, 3));
  assert.equal(resumed.messages.length, 3);
  assert.equal(resumedStomp.messages.length, 3);
  rawSseB.close();
});

test('a node subscribes to <sessionId> only while it has listeners of the session', async () => {
  const { nodes, redis } = await startCluster();
  const [a, b] = nodes;
  const sessionId = randomUUID();
  await publishOk(a.url, API_KEY, sessionId, { sender: 'host', contents: 'nobody listens' });
  assert.deepEqual(await redis.command('PUBSUB', 'CHANNELS', sessionId), []);
  assert.equal(await publishRaw(redis, sessionId, 'into the void'), 0);

  const onA = await openSse(a.url, sessionSsePath(sessionId));
  await waitRawSubscribers(redis, sessionId, 1);
  const onB = await openSse(b.url, sessionSsePath(sessionId));
  await waitRawSubscribers(redis, sessionId, 2);
  onA.close();
  await waitRawSubscribers(redis, sessionId, 1);
  assert.equal(await publishRaw(redis, sessionId, 'only B listens'), 1);
  await waitForMessages(onB, 1);
  assert.equal(onB.messages[0].contents, 'only B listens');
  onB.close();
  await waitRawSubscribers(redis, sessionId, 0);
  assert.deepEqual(await redis.command('PUBSUB', 'CHANNELS', sessionId), []);
});

test('an oversized or non-UTF-8 raw payload is dropped and counted; the stream goes on', async () => {
  const { nodes, redis } = await startCluster({ nodes: 1, env: { MAX_MESSAGE_LENGTH: 10 } });
  const [a] = nodes;
  const sessionId = randomUUID();
  const viewer = await openSse(a.url, sessionSsePath(sessionId));
  await waitRawSubscribers(redis, sessionId, 1);

  await publishBytes(redis, sessionId, Buffer.from([0x63, 0x61, 0x66, 0xc3]));  // cut UTF-8
  await publishRaw(redis, sessionId, 'x'.repeat(11));                           // over 10 characters
  await publishRaw(redis, sessionId, 'x'.repeat(100 * 1024));                    // over 64 KiB
  await publishRaw(redis, sessionId, JSON.stringify({ ...CHAT_SYNC_OBJECT, message: 'fits' }));
  await publishSentinel(a.url, API_KEY, sessionId, viewer);
  assert.deepEqual(viewer.messages.map((m) => m.contents), ['fits', 'sentinel']);

  const metrics = (await request(a.url, 'GET', '/metrics')).text;
  assert.match(metrics, /^livechat_raw_messages_dropped_total 3$/m, metrics);
  assert.match(metrics, /^livechat_raw_messages_total 1$/m);
  assert.equal((await request(a.url, 'GET', '/readyz')).status, 200);
});

test('billing: messages delivered on both nodes are counted once in the cluster', async () => {
  const sink = await startBillingSink();
  const { nodes, redis } = await startCluster({
    env: { TENANT_BASE_URL: sink.url, BILLING_INTERVAL_MS: 100 },
  });
  const [a, b] = nodes;

  // Listeners of the session on both nodes: every message is delivered twice, billed once.
  const shared = randomUUID();
  const viewers = [await openSse(a.url, sessionSsePath(shared)), await openSse(b.url, sessionSsePath(shared))];
  await waitSubscribers(redis, shared, 2);
  await waitRawSubscribers(redis, shared, 2);
  const messages = 30;
  const raws = 5;
  for (let n = 1; n <= messages; n += 1) {
    const node = n % 2 ? a : b;
    await publishOk(node.url, API_KEY, shared, { sender: 'host', contents: `m${n}` });
    if (n % 6 === 0) assert.equal(await publishRaw(redis, shared, `raw ${n}`), 2);
  }
  await Promise.all(viewers.map((v) => v.waitForId(messages)));
  await Promise.all(viewers.map((v) => waitForMessages(v, messages + raws)));
  await sink.waitForTotal(shared, messages + raws);
  // One more, delivered on both nodes: the total moves by exactly one (waitForTotal fails at
  // once if it goes past), so nothing else of the first ones was still on its way.
  await publishSentinel(b.url, API_KEY, shared, ...viewers);
  await sink.waitForTotal(shared, messages + raws + 1);

  // Listeners on one node only: still each message once.
  const single = randomUUID();
  const alone = await openSse(b.url, sessionSsePath(single));
  await waitSubscribers(redis, single, 1);
  for (let n = 1; n <= 12; n += 1) {
    await publishOk((n % 2 ? a : b).url, API_KEY, single, { sender: 'host', contents: `s${n}` });
  }
  await alone.waitForId(12);
  await sink.waitForTotal(single, 12);
  await publishSentinel(a.url, API_KEY, single, alone);
  await sink.waitForTotal(single, 13);
});
