// Live-stream sessions (SPEC section 6) as the tests drive them: the tenant server API behind
// X-Api-Key, the viewers' paths, the shape of a session's Message, and a STOMP SUBSCRIBE that
// waits until the server has it.

import assert from 'node:assert/strict';

import { TIMESTAMP, request } from './api.mjs';
import { assertIds, publishInLoop } from './messages.mjs';

const MESSAGE_KEYS = ['contents', 'id', 'messageTimestamp', 'roomId', 'sender', 'type'];
const TENANT_KEYS = ['nickname', 'profileImgUrl'];

/** The public SSE path of a session. */
export const sessionSsePath = (sessionId, query = '') => `/api/v1/chats/sse-connect/${sessionId}${query}`;

/** The STOMP destination of a session. */
export const sessionDestination = (sessionId) => `/chat/${sessionId}`;

const keyHeaders = (key) => (key === undefined ? {} : { 'x-api-key': key });

/** POST /api/v1/sessions/{id}/messages with `body` (JSON) or `raw`: the whole response. */
export function publish(url, key, sessionId, body, { raw, headers = {} } = {}) {
  return request(url, 'POST', `/api/v1/sessions/${sessionId}/messages`,
                 { body, raw, headers: { ...keyHeaders(key), ...headers } });
}

/** Publishes `body`, asserts 202 {"ids":[…]}, and returns the ids. */
export async function publishOk(url, key, sessionId, body) {
  const res = await publish(url, key, sessionId, body);
  assert.equal(res.status, 202, `publish: ${res.status} ${res.text}`);
  assert.deepEqual(Object.keys(res.json ?? {}), ['ids'], `publish answer: ${res.text}`);
  const count = Array.isArray(body) ? body.length : 1;
  assert.equal(res.json.ids.length, count, `one id per message: ${res.text}`);
  return res.json.ids;
}

/**
 * The tenant publishes one more message to a session; resolves to its id once each of
 * `receivers` (SSE clients or STOMP subscriptions) has it. As with messages.mjs's sendSentinel:
 * whatever else was on its way to them arrived first, so checking that nothing more came needs
 * no timed wait.
 */
export async function publishSentinel(url, key, sessionId, ...receivers) {
  const [id] = await publishOk(url, key, sessionId, { sender: 'host', contents: 'sentinel' });
  await Promise.all(receivers.map((receiver) => receiver.waitForId(id)));
  return id;
}

/** POST /api/v1/sessions/{id}/end: the whole response. */
export function endSession(url, key, sessionId, { headers = {} } = {}) {
  return request(url, 'POST', `/api/v1/sessions/${sessionId}/end`, { headers: { ...keyHeaders(key), ...headers } });
}

/** GET /api/v1/sessions/{id}/messages with `query`: the whole response. */
export function sessionHistory(url, key, sessionId, query = {}, { headers = {} } = {}) {
  const search = new URLSearchParams(query).toString();
  return request(url, 'GET', `/api/v1/sessions/${sessionId}/messages${search ? `?${search}` : ''}`,
                 { headers: { ...keyHeaders(key), ...headers } });
}

/** Every message of a session, read from history in pages of 500 (asserts 200s). */
export async function fullSessionHistory(url, key, sessionId) {
  const all = [];
  let sinceId = 0;
  for (;;) {
    const res = await sessionHistory(url, key, sessionId, { sinceId, limit: 500 });
    assert.equal(res.status, 200, `session history: ${res.status} ${res.text}`);
    all.push(...res.json.messages);
    if (res.json.messages.length < 500) return all;
    sinceId = all[all.length - 1].id;
  }
}

/**
 * Asserts that `message` is a Message of SPEC section 5 in session `sessionId`: the common keys,
 * and nickname/profileImgUrl only as strings (present when the tenant gave them).
 */
export function assertSessionMessage(message, sessionId, expected = {}) {
  const where = JSON.stringify(message);
  assert.equal(typeof message, 'object', `not a Message: ${where}`);
  assert.deepEqual(Object.keys(message).filter((k) => !TENANT_KEYS.includes(k)).sort(), MESSAGE_KEYS,
                   `Message keys: ${where}`);
  for (const key of TENANT_KEYS) {
    if (key in message) assert.equal(typeof message[key], 'string', `${key}: ${where}`);
  }
  assert.equal(message.type, 'message', where);
  assert.ok(Number.isInteger(message.id) && message.id >= 1, `id: ${where}`);
  assert.equal(message.roomId, sessionId, `roomId: ${where}`);
  assert.equal(typeof message.sender, 'string', where);
  assert.equal(typeof message.contents, 'string', where);
  assert.match(message.messageTimestamp, TIMESTAMP, where);
  for (const [name, value] of Object.entries(expected)) assert.deepEqual(message[name], value, `${name}: ${where}`);
}

/**
 * SPEC 5.2 for every SSE message event of a session: a non-empty array of Messages with
 * consecutive ids, the event id being the last one's.
 */
export function assertSessionBatches(batches, sessionId) {
  for (const batch of batches) {
    assert.ok(Array.isArray(batch.data) && batch.data.length > 0,
              `event data is not a non-empty array: ${JSON.stringify(batch.data).slice(0, 300)}`);
    for (const message of batch.data) assertSessionMessage(message, sessionId);
    const ids = batch.data.map((m) => m.id);
    assertIds(ids, ids[0], ids[0] + ids.length - 1, 'ids within one event');
    assert.equal(batch.lastEventId, String(ids[ids.length - 1]), 'the event id is its last message id');
  }
}

let receiptCounter = 0;

/**
 * SUBSCRIBEs a stompjs session (lib/clients.mjs) to `destination` with a receipt header and
 * resolves to the subscription once the RECEIPT came, so that what is published next reaches it.
 * Rejects with the ERROR frame (StompErrorFrame) if the server refuses.
 */
export async function subscribeConfirmed(session, destination, headers = {}, timeoutMs = 3000) {
  receiptCounter += 1;
  const receipt = `sub-${receiptCounter}`;
  let confirmed = false;
  session.client.watchForReceipt(receipt, () => { confirmed = true; session.notify(); });
  const subscription = session.subscribe(destination, { ...headers, receipt });
  await subscription.waitFor(() => confirmed, timeoutMs, `the RECEIPT of SUBSCRIBE ${destination}`);
  return subscription;
}

/**
 * Publishes single messages to a session in a loop (every `intervalMs`) until stop(), which
 * resolves to the ids acknowledged, in order. For "while messages keep coming" tests.
 */
export function startTenantPublisher(url, key, sessionId, { intervalMs = 5, prefix = 'loop' } = {}) {
  return publishInLoop(async (n) => {
    const res = await publish(url, key, sessionId, { sender: 'publisher', contents: `${prefix} ${n}` });
    if (res.status !== 202) throw new Error(`tenant publisher: ${res.status} ${res.text}`);
    return res.json.ids;
  }, { intervalMs, label: 'tenant publisher' });
}
