// Messages (SPEC section 5): sending over REST, the Message shape, and the checks that every
// real-time suite makes on what a subscriber received.

import assert from 'node:assert/strict';

import { TIMESTAMP, UUID, request } from './api.mjs';
import { describeIds, sleep } from './clients.mjs';

const MESSAGE_KEYS = ['contents', 'id', 'messageTimestamp', 'roomId', 'sender', 'type'];
const OPTIONAL_KEYS = ['nickname', 'profileImgUrl'];  // only from a tenant (section 6)

/** POSTs {"contents"} (or `body` as given) to a room: the whole response. */
export function postMessage(url, token, roomId, contents, { body } = {}) {
  return request(url, 'POST', `/chatrooms/${roomId}/messages`, { body: body ?? { contents }, token });
}

/** POSTs a message, asserts 201, and returns the Message. */
export async function sendMessage(url, token, roomId, contents) {
  const res = await postMessage(url, token, roomId, contents);
  assert.equal(res.status, 201, `POST /messages: ${res.status} ${res.text}`);
  return res.json;
}

/**
 * Sends one more message to a room and waits until each of `receivers` (SSE clients or STOMP
 * subscriptions, lib/clients.mjs) has it; resolves to its id. The server writes a connection's
 * deliveries in order, so whatever else was on its way to them arrived before this one: a check
 * that nothing more came (no duplicate, nothing after an end) needs no timed wait after it.
 */
export async function sendSentinel(url, token, roomId, ...receivers) {
  const sent = await sendMessage(url, token, roomId, 'sentinel');
  await Promise.all(receivers.map((receiver) => receiver.waitForId(sent.id)));
  return sent.id;
}

/** GET /chatrooms/{id}/messages with `query`: the whole response. */
export function getHistory(url, token, roomId, query = {}) {
  const search = new URLSearchParams(query).toString();
  return request(url, 'GET', `/chatrooms/${roomId}/messages${search ? `?${search}` : ''}`, { token });
}

/** Every message of a room, read from history in pages of 500 (asserts 200s). */
export async function fullHistory(url, token, roomId) {
  const all = [];
  let sinceId = 0;
  for (;;) {
    const res = await getHistory(url, token, roomId, { sinceId, limit: 500 });
    assert.equal(res.status, 200, `history: ${res.status} ${res.text}`);
    all.push(...res.json.messages);
    if (res.json.messages.length < 500) return all;
    sinceId = all[all.length - 1].id;
  }
}

/** Asserts that `message` is a chat-room Message of SPEC section 5 (no tenant fields). */
export function assertMessage(message, expected = {}) {
  const where = JSON.stringify(message);
  assert.equal(typeof message, 'object', `not a Message: ${where}`);
  assert.deepEqual(Object.keys(message).filter((k) => !OPTIONAL_KEYS.includes(k)).sort(), MESSAGE_KEYS,
                   `Message keys: ${where}`);
  for (const key of OPTIONAL_KEYS) assert.equal(message[key], undefined, `${key} without a tenant: ${where}`);
  assert.equal(message.type, 'message', where);
  assert.ok(Number.isInteger(message.id) && message.id >= 1, `id: ${where}`);
  assert.match(message.roomId, UUID, where);
  assert.equal(typeof message.sender, 'string', where);
  assert.equal(typeof message.contents, 'string', where);
  assert.match(message.messageTimestamp, TIMESTAMP, where);
  for (const [name, value] of Object.entries(expected)) assert.deepEqual(message[name], value, `${name}: ${where}`);
}

/** Asserts that `ids` is exactly from, from+1, …, to. */
export function assertIds(ids, from, to, what = 'ids') {
  const expected = [];
  for (let id = from; id <= to; id += 1) expected.push(id);
  assert.deepEqual(ids, expected,
                   `${what}: expected ${describeIds(expected)}, got ${describeIds(ids)}` +
                   (new Set(ids).size !== ids.length ? ' (with duplicates)' : ''));
}

/**
 * Asserts what SPEC 5.2 says of every SSE message event: data is a non-empty array of Messages
 * with consecutive ids, and the event id is the id of the last one.
 */
export function assertSseBatches(batches, roomId) {
  for (const batch of batches) {
    assert.ok(Array.isArray(batch.data) && batch.data.length > 0,
              `event data is not a non-empty array: ${JSON.stringify(batch.data).slice(0, 300)}`);
    for (const message of batch.data) assertMessage(message, roomId ? { roomId } : {});
    const ids = batch.data.map((m) => m.id);
    assertIds(ids, ids[0], ids[0] + ids.length - 1, 'ids within one event');
    assert.equal(batch.lastEventId, String(ids[ids.length - 1]), 'the event id is its last message id');
  }
}

/**
 * Publishes in a loop until stopped: `publishOne(n)` sends message n and returns what it
 * acknowledged (an array of items); anything else it throws ends the loop as a failure.
 */
export function publishInLoop(publishOne, { intervalMs = 5, label = 'publisher' } = {}) {
  let running = true;
  let failure = null;
  const acked = [];
  const done = (async () => {
    for (let n = 1; running; n += 1) {
      acked.push(...await publishOne(n));
      await sleep(intervalMs);  // the publishing rate, not a synchronization
    }
  })().catch((error) => { failure = error; running = false; });
  return {
    acked,
    /** Waits until at least `count` messages were acknowledged. */
    async waitForAcked(count, timeoutMs = 10_000) {
      const deadline = performance.now() + timeoutMs;
      while (acked.length < count) {
        if (failure) throw failure;
        if (performance.now() > deadline) throw new Error(`${label}: only ${acked.length} of ${count} acknowledged`);
        await sleep(5);  // a poll of `acked`
      }
    },
    async stop() {
      running = false;
      await done;
      if (failure) throw failure;
      return acked;
    },
  };
}

/**
 * Posts in a loop (every `intervalMs`) until stop(); stop() resolves to the acknowledged
 * Messages. For "while messages keep coming" tests.
 */
export function startPublisher(url, token, roomId, { intervalMs = 5, prefix = 'loop' } = {}) {
  return publishInLoop(async (n) => {
    const res = await postMessage(url, token, roomId, `${prefix} ${n}`);
    if (res.status !== 201) throw new Error(`publisher: ${res.status} ${res.text}`);
    return [res.json];
  }, { intervalMs, label: 'publisher' });
}
