// Live-stream sessions and the tenant server API (SPEC section 6, with sections 2 and 5): the
// X-Api-Key, publishing one message or an array, validation, history, SSE and anonymous STOMP
// viewers (batches, pass-through of nickname/profileImgUrl, resume), the end of a session (also
// across a restart), ids that belong to chat rooms, and the viewer limits per session and per
// client address.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { before, describe, test } from 'node:test';

import { makeTempDir, startServer } from './lib/server.mjs';
import { assertError, createRoom, getRoom, newUser, request } from './lib/api.mjs';
import { StompErrorFrame, assertSseStreamHead, connectStomp, openRawSse, openSse, range, sleep } from './lib/clients.mjs';
import { assertIds, postMessage, sendMessage } from './lib/messages.mjs';
import { RawConnection } from './lib/raw_http.mjs';
import {
  assertSessionBatches, assertSessionMessage, endSession, fullSessionHistory, publish, publishOk,
  publishSentinel,
  sessionDestination, sessionHistory, sessionSsePath, startTenantPublisher, subscribeConfirmed,
} from './lib/sessions.mjs';

const KEY = crypto.randomBytes(24).toString('hex');
const BAD_INPUT = ['VALIDATION_ERROR', 'BAD_REQUEST'];

let main;      // FLUSH_INTERVAL_MS=50 (batches to see), default rate limits and MAX_MESSAGE_LENGTH
let keyless;   // no LIVECHAT_API_KEY: the tenant API does not exist
let viewers;   // MAX_VIEWERS_PER_SESSION=2
let perIp;     // MAX_STREAMS_PER_IP=2

before(async () => {
  [main, keyless, viewers, perIp] = await Promise.all([
    startServer({ env: { LIVECHAT_API_KEY: KEY, FLUSH_INTERVAL_MS: 50 } }),
    startServer({ env: { FLUSH_INTERVAL_MS: 50 } }),
    startServer({ env: { LIVECHAT_API_KEY: KEY, MAX_VIEWERS_PER_SESSION: 2 } }),
    startServer({ env: { LIVECHAT_API_KEY: KEY, MAX_STREAMS_PER_IP: 2 } }),
  ]);
});

const newSession = () => crypto.randomUUID();
const one = (contents, extra = {}) => ({ sender: 'host', contents, ...extra });

/**
 * Opens an SSE stream that the server is expected to refuse, and returns its answer as
 * {status, headers, text, json} once the body ended (3 s at most, for a stream that opened).
 */
async function refusedStream(server, path, headers = {}) {
  const raw = await openRawSse(server.url, path, { headers });
  try {
    await raw.waitEnded(3000);
    let json;
    try { json = JSON.parse(raw.text); } catch { json = undefined; }
    return { status: raw.status, headers: raw.headers, text: raw.text, json };
  } finally {
    raw.close();
  }
}

/**
 * A WebSocket upgrade of /ws on a raw connection: {status, headers, text, json, connection}.
 * After a 101 the connection is the held WebSocket; the caller destroys it.
 */
async function wsUpgrade(server) {
  const connection = await RawConnection.open(server.port);
  await connection.write('GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n' +
                         'Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n' +
                         `Sec-WebSocket-Key: ${crypto.randomBytes(16).toString('base64')}\r\n` +
                         'Sec-WebSocket-Protocol: v12.stomp\r\n\r\n');
  const res = await connection.readResponse({ timeoutMs: 3000 });
  if (res.status !== 101) connection.destroy();
  let json;
  try { json = JSON.parse(res.text); } catch { json = undefined; }
  return { ...res, json, connection };
}

/** Retries `open` (which rejects while refused) every 100 ms until it resolves, or throws after timeoutMs. */
async function eventually(open, what, timeoutMs = 5000) {
  const deadline = performance.now() + timeoutMs;
  let lastError;
  while (performance.now() < deadline) {
    try {
      return await open();
    } catch (error) {
      lastError = error;
      await sleep(100);  // a poll: the next try
    }
  }
  throw new Error(`${what} was still refused after ${timeoutMs} ms: ${lastError?.message}`);
}

/**
 * Runs `check(item)` for every [what, item] of `cases`, all of them even after a failure, then
 * fails once with every case that failed, so that one bad case does not hide the others.
 */
async function checkEach(cases, check) {
  const failures = [];
  for (const [what, item] of cases) {
    try {
      await check(item);
    } catch (error) {
      failures.push(`${what}: ${error.message.split('\n')[0]}`);
    }
  }
  assert.deepEqual(failures, [], `${failures.length} of ${cases.length} cases failed:\n${failures.join('\n')}`);
}

/** Expects `promise` (a SUBSCRIBE or SEND) to reject with an ERROR frame, then the connection to close. */
async function expectStompError(promise, session) {
  let caught;
  await assert.rejects(promise, (error) => { caught = error; return error instanceof StompErrorFrame; });
  assert.ok((caught.frame.headers.message ?? '').length > 0,
            `ERROR without a message header: ${JSON.stringify(caught.frame.headers)}`);
  assert.ok(await session.waitClosed(3000), 'the connection closes after ERROR');
  return caught.frame;
}

describe('the API key', () => {
  test('without LIVECHAT_API_KEY every tenant call is 404 NOT_FOUND, key header or not', async () => {
    const sessionId = newSession();
    for (const key of [undefined, KEY, '']) {
      assertError(await publish(keyless.url, key, sessionId, one('hello')), 404, 'NOT_FOUND');
      assertError(await publish(keyless.url, key, sessionId, [one('a'), one('b')]), 404, 'NOT_FOUND');
      assertError(await endSession(keyless.url, key, sessionId), 404, 'NOT_FOUND');
      assertError(await sessionHistory(keyless.url, key, sessionId), 404, 'NOT_FOUND');
    }
  });

  test('no X-Api-Key: 401 UNAUTHORIZED on publish, end and history; nothing kept, nothing ended', async () => {
    const sessionId = newSession();
    assertError(await publish(main.url, undefined, sessionId, one('hello')), 401, 'UNAUTHORIZED');
    assertError(await endSession(main.url, undefined, sessionId), 401, 'UNAUTHORIZED');
    assertError(await sessionHistory(main.url, undefined, sessionId), 401, 'UNAUTHORIZED');
    assert.deepEqual(await publishOk(main.url, KEY, sessionId, one('first kept')), [1],
                     'the refused publish used no id and the refused end did not end the session');
  });

  test('a wrong key: 401 (another key, empty, a prefix, the key and more, in Authorization instead)', async () => {
    const sessionId = newSession();
    const wrong = [crypto.randomBytes(24).toString('hex'), '', KEY.slice(0, -1), `${KEY}0`, KEY.toUpperCase()];
    await checkEach(wrong.map((key) => [`key ${JSON.stringify(key)}`, key]), async (key) => {
      assertError(await publish(main.url, key, sessionId, one('x')), 401, 'UNAUTHORIZED');
      assertError(await endSession(main.url, key, sessionId), 401, 'UNAUTHORIZED');
      assertError(await sessionHistory(main.url, key, sessionId), 401, 'UNAUTHORIZED');
    });
    const bearer = { authorization: `Bearer ${KEY}` };
    assertError(await publish(main.url, undefined, sessionId, one('x'), { headers: bearer }), 401, 'UNAUTHORIZED');
    assertError(await sessionHistory(main.url, undefined, sessionId, {}, { headers: bearer }), 401, 'UNAUTHORIZED');
    assert.deepEqual(await publishOk(main.url, KEY, sessionId, one('first kept')), [1]);
  });
});

describe('publishing', () => {
  test('one message: 202 {"ids":[1]}, kept as the tenant sent it; absent extras stay absent', async () => {
    const sessionId = newSession();
    assert.deepEqual(await publishOk(main.url, KEY, sessionId, one('h\u00e9llo \u{1F600}', { sender: 'streamer-7' })), [1]);
    assert.deepEqual(await publishOk(main.url, KEY, sessionId, one('second')), [2]);
    const history = await fullSessionHistory(main.url, KEY, sessionId);
    assert.equal(history.length, 2);
    assertSessionMessage(history[0], sessionId, { id: 1, sender: 'streamer-7', contents: 'h\u00e9llo \u{1F600}' });
    assertSessionMessage(history[1], sessionId, { id: 2, sender: 'host', contents: 'second' });
    for (const message of history) {
      assert.ok(!('nickname' in message) && !('profileImgUrl' in message),
                `no nickname or profileImgUrl when the tenant gave none: ${JSON.stringify(message)}`);
    }
  });

  test('an array gets consecutive ids in its order, even among concurrent publishes', async () => {
    const sessionId = newSession();
    const arrays = range(1, 5).map((a) => range(1, 20).map((i) => one(`array ${a} item ${i}`)));
    const results = await Promise.all([
      ...arrays.map((array) => publishOk(main.url, KEY, sessionId, array)),
      ...range(1, 20).map((n) => publishOk(main.url, KEY, sessionId, one(`single ${n}`))),
    ]);
    for (const ids of results.slice(0, 5)) assertIds(ids, ids[0], ids[0] + 19, 'the ids of one array');
    assertIds(results.flat().sort((a, b) => a - b), 1, 120, 'all ids given');
    const history = await fullSessionHistory(main.url, KEY, sessionId);
    assertIds(history.map((m) => m.id), 1, 120, 'history');
    arrays.forEach((array, a) => {
      const kept = results[a].map((id) => history[id - 1].contents);
      assert.deepEqual(kept, array.map((m) => m.contents), `array ${a + 1} is kept in its order`);
    });
  });

  test('the tenant is not held to the per-user rate limit: 60 at once are all accepted', async () => {
    const sessionId = newSession();
    const results = await Promise.all(range(1, 60).map((n) => publish(main.url, KEY, sessionId, one(`fast ${n}`))));
    const refused = results.filter((res) => res.status !== 202);
    assert.deepEqual(refused.map((res) => `${res.status} ${res.text}`), [], 'publishes refused');
    assertIds(results.flatMap((res) => res.json.ids).sort((a, b) => a - b), 1, 60);
  });

  test('id, type, roomId or a timestamp in the body cannot forge a Message', async () => {
    const sessionId = newSession();
    const forged = one('forged', {
      id: 999, type: 'closed', roomId: crypto.randomUUID(), messageTimestamp: '2000-01-01T00:00:00.000Z',
    });
    const res = await publish(main.url, KEY, sessionId, forged);
    if (res.status === 202) {
      assert.deepEqual(res.json.ids, [1]);
      const [kept] = await fullSessionHistory(main.url, KEY, sessionId);
      assertSessionMessage(kept, sessionId, { id: 1, type: 'message', contents: 'forged' });
      assert.notEqual(kept.messageTimestamp, forged.messageTimestamp);
    } else {
      assertError(res, 400, BAD_INPUT);
    }
  });

  test('the largest values accepted: 100-character sender and nickname, MAX_MESSAGE_LENGTH characters, a 2048-byte URL', async () => {
    const sessionId = newSession();
    const longest = {
      sender: '\u{1F600}'.repeat(100),
      contents: '\u{1F600}'.repeat(2000),
      nickname: '\u00e9'.repeat(100),
      profileImgUrl: `https://img.example/${'a'.repeat(2048 - 'https://img.example/'.length)}`,
    };
    assert.equal(Buffer.byteLength(longest.profileImgUrl), 2048);
    assert.deepEqual(await publishOk(main.url, KEY, sessionId, longest), [1]);
    const [kept] = await fullSessionHistory(main.url, KEY, sessionId);
    assertSessionMessage(kept, sessionId, { id: 1, ...longest });
  });

  test('invalid messages: 400 VALIDATION_ERROR, and no id is used up', async () => {
    const sessionId = newSession();
    const cases = [
      ['an empty sender', one('c', { sender: '' })],
      ['a sender of 101 characters', one('c', { sender: 'a'.repeat(101) })],
      ['a sender of 101 emoji', one('c', { sender: '\u{1F600}'.repeat(101) })],
      ['empty contents', one('')],
      ['blank contents', one(' \n\t \r ')],
      ['contents of Unicode white space only (ideographic, em space)', one('\u3000\u2003 \u3000')],
      ['contents of 2001 characters', one('a'.repeat(2001))],
      ['contents of 2001 emoji', one('\u{1F600}'.repeat(2001))],
      ['a nickname of 101 characters', one('c', { nickname: 'n'.repeat(101) })],
      ['contents holding U+0000', one('a\u0000b')],
      ['a sender holding U+0000', one('c', { sender: 'bot\u0000' })],
      ['a nickname holding U+0000', one('c', { nickname: 'n\u0000' })],
      ['a profileImgUrl that is no URL', one('c', { profileImgUrl: 'not a url' })],
      ['a relative profileImgUrl', one('c', { profileImgUrl: '/img/a.png' })],
      ['an ftp profileImgUrl', one('c', { profileImgUrl: 'ftp://img.example/a.png' })],
      ['a javascript: profileImgUrl', one('c', { profileImgUrl: 'javascript:alert(1)' })],
      ['a profileImgUrl of 2049 bytes', one('c', { profileImgUrl: `https://img.example/${'a'.repeat(2049 - 20)}` })],
    ];
    await checkEach(cases, async (body) => {
      assertError(await publish(main.url, KEY, sessionId, body), 400, 'VALIDATION_ERROR');
      assertError(await publish(main.url, KEY, sessionId, [one('fine'), body]), 400, 'VALIDATION_ERROR');
    });
    assert.deepEqual(await publishOk(main.url, KEY, sessionId, one('first kept')), [1],
                     'no refused message took an id');
    assert.equal((await fullSessionHistory(main.url, KEY, sessionId)).length, 1, 'nothing of a refused array was kept');
  });

  test('missing fields, wrong types, bad arrays and malformed JSON: 400, and no id is used up', async () => {
    const sessionId = newSession();
    const ok = one('fine');
    const bodies = [
      { contents: 'no sender' }, { sender: 'no contents' }, { sender: 42, contents: 'c' },
      { sender: 's', contents: null }, { sender: 's', contents: ['c'] }, one('c', { nickname: 5 }),
      one('c', { profileImgUrl: { url: 'https://img.example/a.png' } }), 'hello', 42, null, true,
      [], Array.from({ length: 1001 }, () => ok), [ok, 'not an object'], [ok, [ok]],
    ];
    await checkEach(bodies.map((body) => [`body ${JSON.stringify(body).slice(0, 80)}`, body]), async (body) => {
      assertError(await publish(main.url, KEY, sessionId, body), 400, BAD_INPUT);
    });
    const raws = ['{"sender":', 'not json', '', '[{"sender":"s","contents":"c"},]'];
    await checkEach(raws.map((raw) => [`raw body ${JSON.stringify(raw)}`, raw]), async (raw) => {
      assertError(await publish(main.url, KEY, sessionId, undefined, { raw }), 400, BAD_INPUT);
    });
    assert.deepEqual(await publishOk(main.url, KEY, sessionId, ok), [1], 'no refused publish took an id');
  });

  test('an array of 1000 is accepted: ids 1..1000 in order', async () => {
    const sessionId = newSession();
    const messages = range(1, 1000).map((n) => one(`m${n}`));
    assertIds(await publishOk(main.url, KEY, sessionId, messages), 1, 1000);
    const history = await fullSessionHistory(main.url, KEY, sessionId);
    assert.deepEqual(history.map((m) => m.contents), messages.map((m) => m.contents));
  });

  test('a body over 64 KiB: 413 PAYLOAD_TOO_LARGE, nothing kept', async () => {
    const sessionId = newSession();
    const messages = range(1, 1000).map((n) => one(`${n} ${'x'.repeat(100)}`));
    assert.ok(Buffer.byteLength(JSON.stringify(messages)) > 64 * 1024);
    assertError(await publish(main.url, KEY, sessionId, messages), 413, 'PAYLOAD_TOO_LARGE');
    assert.deepEqual(await publishOk(main.url, KEY, sessionId, one('after')), [1]);
  });

  test('a malformed session id: 400 on publish, end, history and the SSE stream; ERROR on SUBSCRIBE', async () => {
    const ids = ['not-a-uuid', '12345', `${newSession()}0`, 'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz'];
    await checkEach(ids.map((id) => [`id ${id}`, id]), async (id) => {
      assertError(await publish(main.url, KEY, id, one('x')), 400, BAD_INPUT);
      assertError(await endSession(main.url, KEY, id), 400, BAD_INPUT);
      assertError(await sessionHistory(main.url, KEY, id), 400, BAD_INPUT);
      assertError(await refusedStream(main, sessionSsePath(id)), 400, BAD_INPUT);
    });
    const session = await connectStomp(main.url, {});
    try {
      await expectStompError(subscribeConfirmed(session, '/chat/not-a-uuid'), session);
    } finally {
      await session.close();
    }
  });
});

describe("a chat room's id is no session", () => {
  let owner;
  let roomId;

  before(async () => {
    owner = await newUser(main.url, 'owner');
    ({ chatRoomId: roomId } = await createRoom(main.url, owner.accessToken, 'members only', 'pass-word-1'));
    await sendMessage(main.url, owner.accessToken, roomId, 'for members only');
  });

  const assertForbidden = (res, what) => {
    assert.equal(res.status, 403, `${what}: ${res.status} ${res.text.slice(0, 300)}`);
    assert.equal(typeof res.json?.code, 'string', `${what}: ${res.text}`);
    assert.equal(typeof res.json?.message, 'string', `${what}: ${res.text}`);
  };

  test('publish: 403, and nothing reaches the room', async () => {
    assertForbidden(await publish(main.url, KEY, roomId, one('tenant was here')), 'publish');
    assertForbidden(await publish(main.url, KEY, roomId, [one('a'), one('b')]), 'publish an array');
    const history = await request(main.url, 'GET', `/chatrooms/${roomId}/messages`, { token: owner.accessToken });
    assert.deepEqual(history.json.messages.map((m) => m.contents), ['for members only']);
  });

  test('end: 403, and the room stays open', async () => {
    assertForbidden(await endSession(main.url, KEY, roomId), 'end');
    const room = await getRoom(main.url, owner.accessToken, roomId);
    assert.equal(room.json.closed, false, 'the room is still open');
    assert.equal((await postMessage(main.url, owner.accessToken, roomId, 'still open')).status, 201);
  });

  test('history: 403, the room\'s messages are not readable with the tenant key', async () => {
    const res = await sessionHistory(main.url, KEY, roomId);
    assert.ok(!res.text.includes('for members only'),
              `GET /api/v1/sessions/{roomId}/messages reads a password-protected room: ${res.status} ${res.text.slice(0, 300)}`);
    assertForbidden(res, 'history');
  });

  test('the public SSE stream: 403; an anonymous STOMP SUBSCRIBE: ERROR', async () => {
    assertForbidden(await refusedStream(main, sessionSsePath(roomId)), 'sse-connect');
    const session = await connectStomp(main.url, {});
    try {
      await expectStompError(subscribeConfirmed(session, sessionDestination(roomId)), session);
    } finally {
      await session.close();
    }
  });
});

describe('viewers', () => {
  test('the SSE stream: no token, 200, text/event-stream, no-cache, CORS, then retry: 3000', async () => {
    const stream = await openRawSse(main.url, sessionSsePath(newSession()),
                                    { headers: { origin: 'http://viewer.example' } });
    try {
      await assertSseStreamHead(stream, 'http://viewer.example');
    } finally {
      stream.close();
    }
  });

  test('SSE and STOMP viewers get a burst of 50 in id order, batched, each id once, as kept', async () => {
    const sessionId = newSession();
    const user = await newUser(main.url, 'viewer');
    const [sseA, sseB, anonymous, signedIn] = await Promise.all([
      openSse(main.url, sessionSsePath(sessionId)),
      openSse(main.url, sessionSsePath(sessionId)),
      connectStomp(main.url, {}),
      connectStomp(main.url, { token: user.accessToken }),
    ]);
    try {
      const stompA = await subscribeConfirmed(anonymous, sessionDestination(sessionId));
      const stompB = await subscribeConfirmed(signedIn, sessionDestination(sessionId));
      const acks = await Promise.all(range(1, 50).map((n) =>
        publishOk(main.url, KEY, sessionId, one(`burst ${n}`, { sender: `tenant-user-${n % 7}` }))));
      assertIds(acks.flat().sort((a, b) => a - b), 1, 50, 'ids acknowledged');
      await Promise.all([sseA, sseB, stompA, stompB].map((viewer) => viewer.waitForCount(50)));
      const last = await publishSentinel(main.url, KEY, sessionId, sseA, sseB, stompA, stompB);
      const history = await fullSessionHistory(main.url, KEY, sessionId);
      assertIds(history.map((m) => m.id), 1, last, 'history');
      for (const [name, sse] of [['SSE A', sseA], ['SSE B', sseB]]) {
        const burst = sse.batches.slice(0, -1);  // the last event is the sentinel's alone
        assert.ok(burst.length >= 1 && burst.length < 50,
                  `${name}: 50 messages came in ${burst.length} events at FLUSH_INTERVAL_MS=50`);
        assertSessionBatches(sse.batches, sessionId);
        assertIds(sse.ids, 1, last, `${name} ids over all events`);
        assert.deepEqual(sse.messages, history, `${name} got the Messages as kept`);
      }
      for (const [name, stomp] of [['anonymous STOMP', stompA], ['signed-in STOMP', stompB]]) {
        assertIds(stomp.ids, 1, last, `${name} ids`);
        assert.deepEqual(stomp.messages, history, `${name} got the Messages as kept`);
      }
    } finally {
      sseA.close();
      sseB.close();
      await anonymous.close();
      await signedIn.close();
    }
  });

  test('a fresh viewer starts with live messages, not with history', async () => {
    const sessionId = newSession();
    await publishOk(main.url, KEY, sessionId, [one('old 1'), one('old 2')]);
    const sse = await openSse(main.url, sessionSsePath(sessionId));
    const stomp = await connectStomp(main.url, {});
    try {
      const subscription = await subscribeConfirmed(stomp, sessionDestination(sessionId));
      await publishOk(main.url, KEY, sessionId, one('new'));
      await Promise.all([sse.waitForId(3), subscription.waitForId(3)]);
      assert.deepEqual(sse.ids, [3]);
      assert.deepEqual(subscription.ids, [3]);
    } finally {
      sse.close();
      await stomp.close();
    }
  });

  test('STOMP MESSAGE frames of a session: destination, subscription, message-id, content-type, content-length', async () => {
    const sessionId = newSession();
    const session = await connectStomp(main.url, {});
    try {
      assert.equal(session.connected.headers['user-name'], undefined, 'anonymous');
      const subscription = await subscribeConfirmed(session, sessionDestination(sessionId), { id: 'live-sub' });
      await publishOk(main.url, KEY, sessionId, one('h\u00e9llo \u{1F600} \u4f60\u597d', { nickname: 'Host' }));
      await subscription.waitForId(1);
      const [frame] = subscription.frames;
      assert.equal(frame.headers.destination, sessionDestination(sessionId));
      assert.equal(frame.headers.subscription, 'live-sub');
      assert.equal(frame.headers['message-id'], `${sessionId}:1`);
      assert.match(frame.headers['content-type'] ?? '', /^application\/json\b/);
      assert.equal(Number(frame.headers['content-length']), Buffer.byteLength(frame.body, 'utf8'));
      const [kept] = await fullSessionHistory(main.url, KEY, sessionId);
      assertSessionMessage(frame.json, sessionId, { id: 1, nickname: 'Host' });
      assert.deepEqual(frame.json, kept);
    } finally {
      await session.close();
    }
  });

  test('nickname and profileImgUrl pass through to SSE, STOMP and history, and only when given', async () => {
    const sessionId = newSession();
    const sent = [
      one('both', { sender: 'host', nickname: '\uff28\uff4f\uff53\uff54 \u{1F3A4}', profileImgUrl: 'https://cdn.example.com/a/b.png?x=1&y=2' }),
      one('neither', { sender: 'guest' }),
      one('nickname only', { sender: 'fan', nickname: 'fan #1' }),
      one('picture only', { sender: 'pic', profileImgUrl: 'http://img.example/p.jpg' }),
    ];
    const sse = await openSse(main.url, sessionSsePath(sessionId));
    const stomp = await connectStomp(main.url, {});
    try {
      const subscription = await subscribeConfirmed(stomp, sessionDestination(sessionId));
      assertIds(await publishOk(main.url, KEY, sessionId, sent), 1, 4);
      await Promise.all([sse.waitForId(4), subscription.waitForId(4)]);
      const history = await fullSessionHistory(main.url, KEY, sessionId);
      for (const [name, messages] of [['SSE', sse.messages], ['STOMP', subscription.messages], ['history', history]]) {
        assertIds(messages.map((m) => m.id), 1, 4, name);
        messages.forEach((message, i) => {
          assertSessionMessage(message, sessionId, { sender: sent[i].sender, contents: sent[i].contents });
          for (const key of ['nickname', 'profileImgUrl']) {
            assert.equal(message[key], sent[i][key], `${name} ${key} of message ${i + 1}: ${JSON.stringify(message)}`);
            assert.equal(key in message, key in sent[i], `${name}: ${key} present only when given: ${JSON.stringify(message)}`);
          }
        });
      }
    } finally {
      sse.close();
      await stomp.close();
    }
  });

  test('viewers cannot write: a STOMP SEND to a session is ERROR (anonymous or signed in), REST is refused', async () => {
    const sessionId = newSession();
    await publishOk(main.url, KEY, sessionId, one('from the tenant'));
    const user = await newUser(main.url, 'writer');
    const anonymous = await connectStomp(main.url, {});
    await expectStompError(anonymous.publishWithReceipt(`/queue/message/${sessionId}`, { contents: 'anonymous' }), anonymous);
    const signedIn = await connectStomp(main.url, { token: user.accessToken });
    await expectStompError(signedIn.publishWithReceipt(`/queue/message/${sessionId}`, { contents: 'signed in' }), signedIn);
    const rest = await postMessage(main.url, user.accessToken, sessionId, 'over REST');
    assert.ok([403, 404].includes(rest.status), `POST /chatrooms/{sessionId}/messages: ${rest.status} ${rest.text}`);
    const history = await fullSessionHistory(main.url, KEY, sessionId);
    assert.deepEqual(history.map((m) => m.contents), ['from the tenant']);
  });
});

describe('resume', () => {
  // Reads while the tenant keeps publishing, drops the viewer, resumes with `resume(sessionId,
  // lastSeen)` (resolving to something with ids/messages/waitForId) and checks both halves.
  async function resumeWhilePublishing(resume, close) {
    const sessionId = newSession();
    const first = await openSse(main.url, sessionSsePath(sessionId));
    const publisher = startTenantPublisher(main.url, KEY, sessionId, { intervalMs: 3 });
    let second;
    try {
      await first.waitForCount(30, 10_000);
      first.close();
      const lastSeen = first.lastId;
      assertIds(first.ids, 1, lastSeen, 'the first viewer');
      await publisher.waitForAcked(publisher.acked.length + 20);  // missed while away

      second = await resume(sessionId, lastSeen);
      await second.waitForId(lastSeen + 60, 10_000);
      const acked = await publisher.stop();
      const lastAcked = acked[acked.length - 1];
      await second.waitForId(lastAcked, 5000);
      const last = await publishSentinel(main.url, KEY, sessionId, second);
      assertIds(second.ids, lastSeen + 1, last, 'after resuming');
      const history = await fullSessionHistory(main.url, KEY, sessionId);
      assert.deepEqual([...first.messages, ...second.messages], history, 'the two halves make the history');
    } finally {
      await publisher.stop().catch(() => {});
      first.close();
      if (second) await close(second);
    }
  }

  test('SSE with Last-Event-ID while messages keep coming: no gap, no duplicate', async () => {
    await resumeWhilePublishing(
      (sessionId, lastSeen) => openSse(main.url, sessionSsePath(sessionId), { lastEventId: lastSeen }),
      (viewer) => viewer.close());
  });

  test('SSE with ?sinceId= while messages keep coming: no gap, no duplicate', async () => {
    await resumeWhilePublishing(
      (sessionId, lastSeen) => openSse(main.url, sessionSsePath(sessionId, `?sinceId=${lastSeen}`)),
      (viewer) => viewer.close());
  });

  test('anonymous STOMP with x-since-id while messages keep coming: no gap, no duplicate', async () => {
    await resumeWhilePublishing(
      async (sessionId, lastSeen) => {
        const session = await connectStomp(main.url, {});
        const subscription = session.subscribe(sessionDestination(sessionId), { 'x-since-id': String(lastSeen) });
        subscription.stompSession = session;
        return subscription;
      },
      (subscription) => subscription.stompSession.close());
  });
});

describe('the end of a session', () => {
  test('the messages, then `closed` to SSE (the stream ends) and STOMP; end again 204; publish 409', async () => {
    const sessionId = newSession();
    const sse = await openSse(main.url, sessionSsePath(sessionId));
    const raw = await openRawSse(main.url, sessionSsePath(sessionId));
    const stomp = await connectStomp(main.url, {});
    try {
      const subscription = await subscribeConfirmed(stomp, sessionDestination(sessionId), { id: 'ending' });
      await raw.waitForText((t) => t.includes('retry'), 3000, 'retry:');
      assertIds(await publishOk(main.url, KEY, sessionId, range(1, 5).map((n) => one(`last ${n}`))), 1, 5);
      const ended = await endSession(main.url, KEY, sessionId);
      assert.equal(ended.status, 204, ended.text);
      assert.equal(ended.text, '');

      const closed = await sse.waitForClosed(3000);
      assert.deepEqual(closed.data, { type: 'closed', roomId: sessionId });
      assertIds(sse.ids, 1, 5, 'SSE messages before the end');
      const closedIndex = sse.events.indexOf(closed);
      assert.equal(sse.events.slice(closedIndex).filter((e) => e.type === 'message').length, 0, 'nothing after `closed`');
      await sse.waitForStreamEnd(closedIndex, 3000);
      assert.ok(await raw.waitEnded(3000), `the response did not end; ${raw.describe()}`);
      const events = raw.events;
      assert.equal(events[events.length - 1].event, 'closed');
      assert.deepEqual(JSON.parse(events[events.length - 1].data), { type: 'closed', roomId: sessionId });

      const closedFrame = await subscription.waitForClosed(3000);
      assert.deepEqual(closedFrame.json, { type: 'closed', roomId: sessionId });
      assert.equal(closedFrame.headers.destination, sessionDestination(sessionId));
      assert.equal(closedFrame.headers.subscription, 'ending');
      assertIds(subscription.ids, 1, 5, 'STOMP messages before the end');

      const again = await endSession(main.url, KEY, sessionId);
      assert.equal(again.status, 204, `the end is idempotent: ${again.status} ${again.text}`);
      assertError(await publish(main.url, KEY, sessionId, one('too late')), 409, 'SESSION_ENDED');
      assertError(await publish(main.url, KEY, sessionId, [one('too'), one('late')]), 409, 'SESSION_ENDED');
      // A message of another session on the same connection: anything more for `ending` would
      // have been written before it.
      const other = newSession();
      await publishSentinel(main.url, KEY, other, await subscribeConfirmed(stomp, sessionDestination(other)));
      assert.equal(subscription.frames[subscription.frames.length - 1], closedFrame, 'nothing after closed on STOMP');
      assert.equal(subscription.frames.filter((f) => f.json?.type === 'closed').length, 1);
      const history = await fullSessionHistory(main.url, KEY, sessionId);
      assertIds(history.map((m) => m.id), 1, 5, 'history after the end');
    } finally {
      sse.close();
      raw.close();
      await stomp.close();
    }
  });

  test('listeners arriving after the end get `closed` at once: raw SSE, EventSource, STOMP', async () => {
    const withMessages = newSession();
    await publishOk(main.url, KEY, withMessages, one('before the end'));
    const neverUsed = newSession();  // ended before anything was published or heard
    for (const sessionId of [withMessages, neverUsed]) {
      assert.equal((await endSession(main.url, KEY, sessionId)).status, 204);
      const started = performance.now();
      const raw = await openRawSse(main.url, sessionSsePath(sessionId));
      try {
        assert.equal(raw.status, 200);
        assert.ok(await raw.waitEnded(2000), `the response did not end; ${raw.describe()}`);
        assert.ok(performance.now() - started < 2000);
        const closed = raw.events.filter((e) => e.event === 'closed');
        assert.equal(closed.length, 1, raw.describe());
        assert.deepEqual(JSON.parse(closed[0].data), { type: 'closed', roomId: sessionId });
        assert.equal(raw.events.filter((e) => e.event === undefined && e.data !== undefined).length, 0,
                     `no messages for a late listener: ${raw.describe()}`);
      } finally {
        raw.close();
      }
      const sse = await openSse(main.url, sessionSsePath(sessionId));
      const stomp = await connectStomp(main.url, {});
      try {
        assert.deepEqual((await sse.waitForClosed(2000)).data, { type: 'closed', roomId: sessionId });
        const subscription = stomp.subscribe(sessionDestination(sessionId));
        assert.deepEqual((await subscription.waitForClosed(2000)).json, { type: 'closed', roomId: sessionId });
        assert.deepEqual(subscription.ids, []);
      } finally {
        sse.close();
        await stomp.close();
      }
      assertError(await publish(main.url, KEY, sessionId, one('after')), 409, 'SESSION_ENDED');
    }
  });

  // SPEC 5: a client that has seen id N can always get what follows N; 5.2: a client that
  // reconnects with Last-Event-ID gets what it missed first. The end does not take that away.
  test('a viewer resuming after the end gets what it missed, then `closed`', async () => {
    const sessionId = newSession();
    await publishOk(main.url, KEY, sessionId, range(1, 5).map((n) => one(`m ${n}`)));
    assert.equal((await endSession(main.url, KEY, sessionId)).status, 204);
    await checkEach([['SSE with Last-Event-ID: 2', 'sse'], ['STOMP with x-since-id: 2', 'stomp']], async (transport) => {
      if (transport === 'sse') {
        const raw = await openRawSse(main.url, sessionSsePath(sessionId), { headers: { 'last-event-id': '2' } });
        try {
          assert.ok(await raw.waitEnded(2000), `the response did not end; ${raw.describe()}`);
          const ids = raw.events.filter((e) => e.event === undefined && e.data !== undefined)
            .flatMap((e) => JSON.parse(e.data).map((m) => m.id));
          assertIds(ids, 3, 5, `missed messages (${raw.describe()})`);
          assert.equal(raw.events[raw.events.length - 1].event, 'closed');
        } finally {
          raw.close();
        }
      } else {
        const stomp = await connectStomp(main.url, {});
        try {
          const subscription = stomp.subscribe(sessionDestination(sessionId), { 'x-since-id': '2' });
          await subscription.waitForClosed(2000);
          assertIds(subscription.ids, 3, 5, 'missed messages');
        } finally {
          await stomp.close();
        }
      }
    });
  });

  test('the end survives a restart on the same DATA_DIR; ids of open sessions go on', async () => {
    const dataDir = await makeTempDir();
    const first = await startServer({ env: { LIVECHAT_API_KEY: KEY }, dataDir });
    const ended = newSession();
    const open = newSession();
    await publishOk(first.url, KEY, ended, [one('e1'), one('e2'), one('e3')]);
    await publishOk(first.url, KEY, open, [one('o1'), one('o2')]);
    assert.equal((await endSession(first.url, KEY, ended)).status, 204);
    const stopped = await first.stop();
    assert.equal(stopped.code, 0, `exit after SIGTERM: ${JSON.stringify(stopped)}`);

    const second = await startServer({ env: { LIVECHAT_API_KEY: KEY }, dataDir, jwtSecret: first.jwtSecret });
    assertError(await publish(second.url, KEY, ended, one('after the restart')), 409, 'SESSION_ENDED');
    assert.deepEqual((await fullSessionHistory(second.url, KEY, ended)).map((m) => m.contents), ['e1', 'e2', 'e3']);
    const raw = await openRawSse(second.url, sessionSsePath(ended));
    const stomp = await connectStomp(second.url, {});
    try {
      assert.ok(await raw.waitEnded(2000), `the response did not end; ${raw.describe()}`);
      assert.equal(raw.events.filter((e) => e.event === 'closed').length, 1, raw.describe());
      const subscription = stomp.subscribe(sessionDestination(ended));
      assert.deepEqual((await subscription.waitForClosed(2000)).json, { type: 'closed', roomId: ended });
    } finally {
      raw.close();
      await stomp.close();
    }
    assert.deepEqual(await publishOk(second.url, KEY, open, one('o3')), [3], 'the open session goes on from id 3');
    assert.equal((await endSession(second.url, KEY, ended)).status, 204);
    await second.stop();
  });
});

describe('history', () => {
  let sessionId;
  let kept;

  before(async () => {
    sessionId = newSession();
    const messages = range(1, 60).map((n) => one(`h ${n}`, { sender: n % 2 ? 'odd' : 'even' }));
    assertIds(await publishOk(main.url, KEY, sessionId, messages), 1, 60);
    kept = await fullSessionHistory(main.url, KEY, sessionId);
  });

  async function history(query) {
    const res = await sessionHistory(main.url, KEY, sessionId, query);
    assert.equal(res.status, 200, `${JSON.stringify(query)}: ${res.status} ${res.text}`);
    assert.deepEqual(Object.keys(res.json), ['messages']);
    return res.json.messages;
  }

  test('a session with no messages (never seen before): 200 {"messages":[]}', async () => {
    const res = await sessionHistory(main.url, KEY, newSession());
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, { messages: [] });
  });

  test('all 60 kept as sent, ascending', () => {
    assertIds(kept.map((m) => m.id), 1, 60);
    kept.forEach((m, i) => assertSessionMessage(m, sessionId, { contents: `h ${i + 1}`, sender: i % 2 ? 'even' : 'odd' }));
  });

  test('without parameters: the latest 50', async () => {
    assert.deepEqual(await history({}), kept.slice(10));
  });

  test('limit: the latest `limit`, 1 to 500', async () => {
    assertIds((await history({ limit: 5 })).map((m) => m.id), 56, 60);
    assertIds((await history({ limit: 1 })).map((m) => m.id), 60, 60);
    assertIds((await history({ limit: 500 })).map((m) => m.id), 1, 60);
  });

  test('sinceId: the first `limit` after it', async () => {
    assertIds((await history({ sinceId: 10, limit: 5 })).map((m) => m.id), 11, 15);
    assertIds((await history({ sinceId: 0 })).map((m) => m.id), 1, 50);
    assertIds((await history({ sinceId: 55 })).map((m) => m.id), 56, 60);
    assert.deepEqual(await history({ sinceId: 60 }), []);
  });

  test('limit 0, 501, -1 or not a number, and a malformed sinceId: 400', async () => {
    const queries = [{ limit: 0 }, { limit: 501 }, { limit: -1 }, { limit: 'ten' }, { sinceId: 'abc' }, { sinceId: -1 }];
    await checkEach(queries.map((query) => [JSON.stringify(query), query]), async (query) => {
      assertError(await sessionHistory(main.url, KEY, sessionId, query), 400, BAD_INPUT);
    });
  });
});

describe('viewer limits', () => {
  test('MAX_VIEWERS_PER_SESSION over SSE: 503 UNAVAILABLE (JSON) past it, other sessions free, the place comes back', async () => {
    const sessionId = newSession();
    const other = newSession();
    const first = await openSse(viewers.url, sessionSsePath(sessionId));
    const second = await openSse(viewers.url, sessionSsePath(sessionId));
    let otherViewer;
    let third;
    try {
      const refused = await refusedStream(viewers, sessionSsePath(sessionId));
      assertError(refused, 503, 'UNAVAILABLE');
      assert.match(refused.headers.get('content-type') ?? '', /^application\/json\b/);
      await assert.rejects(openSse(viewers.url, sessionSsePath(sessionId)), (error) => error.code === 503);
      otherViewer = await openSse(viewers.url, sessionSsePath(other));

      await publishOk(viewers.url, KEY, sessionId, one('to both'));
      await Promise.all([first.waitForId(1), second.waitForId(1)]);
      first.close();
      third = await eventually(() => openSse(viewers.url, sessionSsePath(sessionId)),
                               'a viewer after another one left');
      await publishOk(viewers.url, KEY, sessionId, one('to the new one'));
      await Promise.all([second.waitForId(2), third.waitForId(2)]);
      assert.deepEqual(third.ids, [2]);
    } finally {
      first.close();
      second.close();
      otherViewer?.close();
      third?.close();
    }
  });

  test('MAX_VIEWERS_PER_SESSION counts STOMP viewers: a SUBSCRIBE past it is ERROR; UNSUBSCRIBE gives the place back', async () => {
    const sessionId = newSession();
    const sse = await openSse(viewers.url, sessionSsePath(sessionId));
    const holder = await connectStomp(viewers.url, {});
    const late = await connectStomp(viewers.url, {});
    let after;
    try {
      const subscription = await subscribeConfirmed(holder, sessionDestination(sessionId));
      assertError(await refusedStream(viewers, sessionSsePath(sessionId)), 503, 'UNAVAILABLE');
      const error = await expectStompError(subscribeConfirmed(late, sessionDestination(sessionId)), late);
      assert.match(error.headers['receipt-id'] ?? '', /^sub-/, `the ERROR carries the receipt-id of the SUBSCRIBE: ${JSON.stringify(error.headers)}`);

      await publishOk(viewers.url, KEY, sessionId, one('still delivered'));
      await Promise.all([sse.waitForId(1), subscription.waitForId(1)]);
      let unsubscribed = false;
      holder.client.watchForReceipt('unsub-1', () => { unsubscribed = true; holder.notify(); });
      subscription.handle.unsubscribe({ receipt: 'unsub-1' });
      await holder.waitFor(() => unsubscribed, 3000, 'the RECEIPT of UNSUBSCRIBE');
      after = await eventually(() => openSse(viewers.url, sessionSsePath(sessionId)), 'a viewer after UNSUBSCRIBE');
    } finally {
      sse.close();
      after?.close();
      await holder.close();
      await late.close();
    }
  });

  test('MAX_STREAMS_PER_IP: SSE and /ws past it get 429 RATE_LIMITED with Retry-After; REST is not limited; places come back', async () => {
    const sessionId = newSession();
    const held = [];
    try {
      held.push(await openSse(perIp.url, sessionSsePath(sessionId)));
      held.push(await openSse(perIp.url, sessionSsePath(newSession())));

      const refused = await refusedStream(perIp, sessionSsePath(sessionId));
      assertError(refused, 429, 'RATE_LIMITED');
      assert.match(refused.headers.get('retry-after') ?? '', /^\d+$/, 'Retry-After on the SSE 429');
      const upgrade = await wsUpgrade(perIp);
      if (upgrade.status === 101) upgrade.connection.destroy();
      assertError(upgrade, 429, 'RATE_LIMITED');
      assert.match(upgrade.headers['retry-after'] ?? '', /^\d+$/, 'Retry-After on the /ws 429');

      await publishOk(perIp.url, KEY, sessionId, one('REST still works'));
      assert.equal((await sessionHistory(perIp.url, KEY, sessionId)).status, 200);
      await held[0].waitForId(1);

      held.shift().close();
      const stomp = await eventually(() => connectStomp(perIp.url, {}), 'a WebSocket after an SSE stream closed');
      held.push(stomp);
      assertError(await refusedStream(perIp, sessionSsePath(sessionId)), 429, 'RATE_LIMITED');
      await stomp.close();
      held.push(await eventually(() => openSse(perIp.url, sessionSsePath(sessionId)), 'an SSE stream after the WebSocket closed'));
    } finally {
      for (const client of held) await client.close();
    }
  });
});
