// Messages over REST and Server-Sent Events (SPEC sections 4 and 5.2): the stream's head and
// refusals, batches per tick, resume by Last-Event-ID and ?sinceId= while messages keep coming,
// closed rooms, history paging, FLUSH_INTERVAL_MS=0, the rate limit and the length limit.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { before, describe, test } from 'node:test';

import { startServer } from './lib/server.mjs';
import { assertError, createRoom, exitRoom, joinRoom, newUser, request } from './lib/api.mjs';
import { assertSseStreamHead, openRawSse, openSse, range, sleep } from './lib/clients.mjs';
import {
  assertIds, assertMessage, assertSseBatches, fullHistory, getHistory, postMessage, sendMessage,
  sendSentinel, startPublisher,
} from './lib/messages.mjs';

const BAD_INPUT = ['VALIDATION_ERROR', 'BAD_REQUEST'];
const NO_LIMIT = { RATE_LIMIT_PER_S: 100000, RATE_LIMIT_BURST: 100000 };

let main;     // FLUSH_INTERVAL_MS=50: ticks long enough to see batching
let instant;  // FLUSH_INTERVAL_MS=0 and MAX_MESSAGE_LENGTH=10
let limited;  // RATE_LIMIT_PER_S=1, RATE_LIMIT_BURST=3
let alice;    // creator of the rooms on `main`
let bob;      // joins them
let carol;    // never joins

before(async () => {
  [main, instant, limited] = await Promise.all([
    startServer({ env: { FLUSH_INTERVAL_MS: 50, ...NO_LIMIT } }),
    startServer({ env: { FLUSH_INTERVAL_MS: 0, MAX_MESSAGE_LENGTH: 10, ...NO_LIMIT } }),
    startServer({ env: { RATE_LIMIT_PER_S: 1, RATE_LIMIT_BURST: 3 } }),
  ]);
  [alice, bob, carol] = await Promise.all([
    newUser(main.url, 'alice'), newUser(main.url, 'bob'), newUser(main.url, 'carol'),
  ]);
});

const tag = () => crypto.randomBytes(4).toString('hex');
const eventsPath = (roomId, query = '') => `/chatrooms/${roomId}/events${query}`;

/** Alice sends one more message to a room on `main`; resolves once `receivers` have it. */
const sentinel = (roomId, ...receivers) => sendSentinel(main.url, alice.accessToken, roomId, ...receivers);

/** A room on `main` created by alice and joined by bob. */
async function sharedRoom(name = 'room') {
  const room = await createRoom(main.url, alice.accessToken, `${name} ${tag()}`);
  const joined = await joinRoom(main.url, bob.accessToken, room.chatRoomId);
  assert.equal(joined.status, 200, joined.text);
  return room.chatRoomId;
}

describe('the stream', () => {
  test('200, text/event-stream, no-cache, CORS, then retry: 3000', async () => {
    const roomId = await sharedRoom();
    const stream = await openRawSse(main.url, eventsPath(roomId, `?access_token=${bob.accessToken}`),
                                    { headers: { origin: 'http://chat.example' } });
    try {
      await assertSseStreamHead(stream, 'http://chat.example');
    } finally {
      stream.close();
    }
  });

  test('the token may come in the Authorization header', async () => {
    const roomId = await sharedRoom();
    const client = await openSse(main.url, eventsPath(roomId), { token: bob.accessToken, tokenIn: 'header' });
    try {
      const sent = await sendMessage(main.url, alice.accessToken, roomId, 'through a header');
      await client.waitForId(sent.id);
      assert.deepEqual(client.messages, [sent]);
    } finally {
      client.close();
    }
  });

  test('an idle stream gets `: ping` after 15 s without a write, and not before', async () => {
    const roomId = await sharedRoom();
    const stream = await openRawSse(main.url, eventsPath(roomId, `?access_token=${bob.accessToken}`));
    try {
      const opened = performance.now();
      await stream.waitForText((text) => text.includes('retry:'), 3000, 'the stream head');
      const text = await stream.waitForText((t) => /^: ?ping$/m.test(t), 18_000, 'a `: ping` comment');
      const after = performance.now() - opened;
      assert.ok(after >= 14_500, `: ping after ${Math.round(after)} ms, before 15 s of silence`);
      assert.equal(text.match(/^: ?ping$/gm).length, 1);
    } finally {
      stream.close();
    }
  });

  test('a fresh stream starts with live messages, not with history', async () => {
    const roomId = await sharedRoom();
    for (const n of [1, 2, 3]) await sendMessage(main.url, alice.accessToken, roomId, `old ${n}`);
    const client = await openSse(main.url, eventsPath(roomId), { token: bob.accessToken });
    try {
      const sent = await sendMessage(main.url, alice.accessToken, roomId, 'new');
      await client.waitForId(sent.id);
      assert.deepEqual(client.ids, [4]);
    } finally {
      client.close();
    }
  });
});

describe('refusals', () => {
  let roomId;
  before(async () => { roomId = await sharedRoom('refusals'); });

  test('no token: 401 UNAUTHORIZED', async () => {
    assertError(await request(main.url, 'GET', eventsPath(roomId)), 401, 'UNAUTHORIZED');
  });

  test('a bad token, in the header or the query: 401 UNAUTHORIZED', async () => {
    const forged = `${bob.accessToken.slice(0, -4)}AAAA`;
    assertError(await request(main.url, 'GET', eventsPath(roomId), { token: 'not-a-jwt' }), 401, 'UNAUTHORIZED');
    assertError(await request(main.url, 'GET', eventsPath(roomId), { token: forged }), 401, 'UNAUTHORIZED');
    assertError(await request(main.url, 'GET', eventsPath(roomId, `?access_token=${forged}`)), 401, 'UNAUTHORIZED');
  });

  test('a refresh token is not an access token: 401', async () => {
    assertError(await request(main.url, 'GET', eventsPath(roomId, `?access_token=${bob.refreshToken}`)),
                401, 'UNAUTHORIZED');
  });

  test('a user who is not a member: 403 NOT_A_MEMBER', async () => {
    assertError(await request(main.url, 'GET', eventsPath(roomId), { token: carol.accessToken }), 403, 'NOT_A_MEMBER');
  });

  test('an EventSource of a non-member fails to open with 403', async () => {
    await assert.rejects(openSse(main.url, eventsPath(roomId), { token: carol.accessToken }),
                         (error) => error.code === 403);
  });

  test('an unknown room: 404 NOT_FOUND', async () => {
    const res = await request(main.url, 'GET', eventsPath(crypto.randomUUID()), { token: bob.accessToken });
    assertError(res, 404, 'NOT_FOUND');
  });

  test('a malformed room id: 400', async () => {
    for (const id of ['not-a-uuid', '12345', `${roomId}0`, 'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz']) {
      const res = await request(main.url, 'GET', eventsPath(id), { token: bob.accessToken });
      assertError(res, 400, BAD_INPUT);
    }
  });
});

describe('delivery', () => {
  test('two members see the same messages in the same order, as the senders got them', async () => {
    const roomId = await sharedRoom('two members');
    const [forAlice, forBob] = await Promise.all([
      openSse(main.url, eventsPath(roomId), { token: alice.accessToken }),
      openSse(main.url, eventsPath(roomId), { token: bob.accessToken, tokenIn: 'header' }),
    ]);
    try {
      const sends = [];
      for (let n = 0; n < 10; n += 1) {
        sends.push(sendMessage(main.url, alice.accessToken, roomId, `alice ${n}`));
        sends.push(sendMessage(main.url, bob.accessToken, roomId, `bob ${n}`));
      }
      const sent = await Promise.all(sends);
      await Promise.all([forAlice.waitForCount(20), forBob.waitForCount(20)]);
      const last = await sentinel(roomId, forAlice, forBob);
      assertIds(forAlice.ids, 1, last, 'alice saw');
      assert.deepEqual(forBob.messages, forAlice.messages, 'both saw the same messages in the same order');
      assertSseBatches(forAlice.batches, roomId);
      assertSseBatches(forBob.batches, roomId);
      for (const message of sent) {
        assertMessage(message, { roomId });
        assert.deepEqual(forBob.messages[message.id - 1], message, 'SSE delivers the Message the sender got');
      }
      assert.equal(sent.filter((m) => m.sender === alice.userId).length, 10);
      assert.equal(sent.filter((m) => m.sender === bob.userId).length, 10);
    } finally {
      forAlice.close();
      forBob.close();
    }
  });

  test('a burst of 50 arrives in a few events, in order, each id once', async () => {
    const roomId = await sharedRoom('burst');
    const client = await openSse(main.url, eventsPath(roomId), { token: bob.accessToken });
    try {
      await Promise.all(range(1, 50).map((n) => sendMessage(main.url, alice.accessToken, roomId, `burst ${n}`)));
      await client.waitForCount(50);
      const last = await sentinel(roomId, client);
      assertIds(client.ids, 1, last, 'ids over all events');
      assertSseBatches(client.batches, roomId);
      const batches = client.batches.slice(0, -1);  // the last one is the sentinel's alone
      assert.ok(batches.length >= 1 && batches.length < 50,
                `50 messages came in ${batches.length} events at FLUSH_INTERVAL_MS=50`);
    } finally {
      client.close();
    }
  });

  test('the sender comes from the token, not from the body', async () => {
    const roomId = await sharedRoom('sender');
    const client = await openSse(main.url, eventsPath(roomId), { token: bob.accessToken });
    try {
      const res = await postMessage(main.url, bob.accessToken, roomId, undefined, {
        body: { contents: 'who am i', sender: 'mallory', id: 999, type: 'closed', roomId: crypto.randomUUID() },
      });
      assert.equal(res.status, 201, res.text);
      assertMessage(res.json, { sender: bob.userId, id: 1, roomId, contents: 'who am i' });
      await client.waitForId(1);
      assertMessage(client.messages[0], { sender: bob.userId, id: 1, roomId });
      const history = await fullHistory(main.url, alice.accessToken, roomId);
      assert.equal(history[0].sender, bob.userId);
    } finally {
      client.close();
    }
  });

  test('FLUSH_INTERVAL_MS=0 delivers at once', async () => {
    const owner = await newUser(instant.url, 'inst');
    const room = await createRoom(instant.url, owner.accessToken, 'instant');
    const client = await openSse(instant.url, eventsPath(room.chatRoomId), { token: owner.accessToken });
    try {
      const latencies = [];
      for (let n = 1; n <= 20; n += 1) {
        const sent = await sendMessage(instant.url, owner.accessToken, room.chatRoomId, `now ${n}`);
        const acked = performance.now();
        await client.waitForId(sent.id, 2000);
        latencies.push(performance.now() - acked);
      }
      assertIds(client.ids, 1, 20);
      assertSseBatches(client.batches, room.chatRoomId);
      latencies.sort((a, b) => a - b);
      const median = latencies[10];
      assert.ok(median < 100,
                `median delay after the 201: ${median.toFixed(1)} ms (all: ${latencies.map(Math.round)})`);
    } finally {
      client.close();
    }
  });
});

describe('resume', () => {
  // Reads while a publisher keeps posting, drops the stream, waits, resumes with `resume`
  // (a function of the last id seen that opens the new stream) and checks both halves.
  async function resumeWhilePublishing(resume) {
    const roomId = await sharedRoom('resume');
    const first = await openSse(main.url, eventsPath(roomId), { token: bob.accessToken });
    const publisher = startPublisher(main.url, alice.accessToken, roomId, { intervalMs: 3 });
    let second;
    try {
      await first.waitForCount(30, 10_000);
      first.close();
      const seen = first.ids;
      const lastSeen = first.lastId;
      assertIds(seen, 1, lastSeen, 'the first stream');
      assertSseBatches(first.batches, roomId);
      await publisher.waitForAcked(publisher.acked.length + 20);  // missed while away

      second = await resume(roomId, lastSeen);
      await second.waitForId(lastSeen + 60, 10_000);
      const acked = await publisher.stop();
      const lastAcked = acked[acked.length - 1].id;
      await second.waitForId(lastAcked, 5000);
      const last = await sentinel(roomId, second);
      assertIds(second.ids, lastSeen + 1, last, 'after resuming');
      assertSseBatches(second.batches, roomId);
      const history = await fullHistory(main.url, alice.accessToken, roomId);
      assert.deepEqual([...first.messages, ...second.messages], history, 'the two halves make the history');
    } finally {
      await publisher.stop().catch(() => {});
      first.close();
      second?.close();
    }
  }

  test('with Last-Event-ID while messages keep coming: no gap, no duplicate', async () => {
    await resumeWhilePublishing((roomId, lastSeen) =>
      openSse(main.url, eventsPath(roomId), { token: bob.accessToken, lastEventId: lastSeen }));
  });

  test('with ?sinceId= while messages keep coming: no gap, no duplicate', async () => {
    await resumeWhilePublishing((roomId, lastSeen) =>
      openSse(main.url, eventsPath(roomId, `?sinceId=${lastSeen}`), { token: bob.accessToken, tokenIn: 'header' }));
  });

  test('resuming at the newest id gets only what comes next', async () => {
    const roomId = await sharedRoom('resume at end');
    for (const n of [1, 2, 3]) await sendMessage(main.url, alice.accessToken, roomId, `m ${n}`);
    const client = await openSse(main.url, eventsPath(roomId), { token: bob.accessToken, lastEventId: 3 });
    try {
      // A replay would come before message 4 on the same stream.
      await sendMessage(main.url, alice.accessToken, roomId, 'next');
      await client.waitForId(4);
      assert.deepEqual(client.ids, [4], 'nothing is replayed after the newest id');
    } finally {
      client.close();
    }
  });

  test('a malformed sinceId: 400', async () => {
    const roomId = await sharedRoom('bad since');
    const res = await request(main.url, 'GET', eventsPath(roomId, '?sinceId=abc'), { token: bob.accessToken });
    assertError(res, 400, BAD_INPUT);
  });
});

describe('closed rooms', () => {
  test('when the creator exits: the messages, then a `closed` event, then the stream ends', async () => {
    const roomId = await sharedRoom('closing');
    const client = await openSse(main.url, eventsPath(roomId), { token: bob.accessToken });
    const raw = await openRawSse(main.url, eventsPath(roomId, `?access_token=${bob.accessToken}`));
    try {
      for (const n of [1, 2, 3]) await sendMessage(main.url, alice.accessToken, roomId, `before close ${n}`);
      const exited = await exitRoom(main.url, alice.accessToken, roomId);
      assert.equal(exited.status, 200, exited.text);
      const closed = await client.waitForClosed(3000);
      assert.deepEqual(closed.data, { type: 'closed', roomId });
      assertIds(client.ids, 1, 3, 'messages before the close');
      const closedIndex = client.events.indexOf(closed);
      assert.ok(client.events.slice(0, closedIndex).filter((e) => e.type === 'message').length >= 1);
      assert.equal(client.events.slice(closedIndex).filter((e) => e.type === 'message').length, 0,
                   'nothing after `closed`');
      await client.waitForStreamEnd(closedIndex, 3000);
      assert.ok(await raw.waitEnded(3000), `the response did not end; ${raw.describe()}`);
      const events = raw.events;
      const last = events[events.length - 1];
      assert.equal(last.event, 'closed');
      assert.deepEqual(JSON.parse(last.data), { type: 'closed', roomId });
    } finally {
      client.close();
      raw.close();
    }
  });

  test('a stream of a room that is already closed gets `closed` at once and ends', async () => {
    const roomId = await sharedRoom('closed before');
    await sendMessage(main.url, bob.accessToken, roomId, 'last words');
    assert.equal((await exitRoom(main.url, alice.accessToken, roomId)).status, 200);
    const started = performance.now();
    const raw = await openRawSse(main.url, eventsPath(roomId, `?access_token=${bob.accessToken}`));
    try {
      assert.equal(raw.status, 200);
      assert.ok(await raw.waitEnded(2000), `the response did not end; ${raw.describe()}`);
      assert.ok(performance.now() - started < 2000);
      const closed = raw.events.filter((e) => e.event === 'closed');
      assert.equal(closed.length, 1, raw.describe());
      assert.deepEqual(JSON.parse(closed[0].data), { type: 'closed', roomId });
    } finally {
      raw.close();
    }
    const client = await openSse(main.url, eventsPath(roomId), { token: bob.accessToken });
    try {
      const closed = await client.waitForClosed(2000);
      assert.deepEqual(closed.data, { type: 'closed', roomId });
    } finally {
      client.close();
    }
  });

  test('sending to a closed room: 403 ROOM_CLOSED', async () => {
    const roomId = await sharedRoom('closed send');
    assert.equal((await exitRoom(main.url, alice.accessToken, roomId)).status, 200);
    assertError(await postMessage(main.url, bob.accessToken, roomId, 'anyone?'), 403, 'ROOM_CLOSED');
  });
});

describe('history', () => {
  let roomId;
  let sent;

  before(async () => {
    roomId = await sharedRoom('history');
    sent = [];
    for (let n = 1; n <= 60; n += 1) {
      sent.push(await sendMessage(main.url, n % 2 ? alice.accessToken : bob.accessToken, roomId, `h ${n}`));
    }
  });

  async function history(query, token = bob.accessToken) {
    const res = await getHistory(main.url, token, roomId, query);
    assert.equal(res.status, 200, `${JSON.stringify(query)}: ${res.status} ${res.text}`);
    assert.deepEqual(Object.keys(res.json), ['messages']);
    return res.json.messages;
  }

  test('ids 1..60 were given in order', () => {
    assertIds(sent.map((m) => m.id), 1, 60);
  });

  test('without parameters: the latest 50, ascending, as sent', async () => {
    const messages = await history({});
    assertIds(messages.map((m) => m.id), 11, 60);
    assert.deepEqual(messages, sent.slice(10));
  });

  test('limit: the latest `limit`', async () => {
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

  test('beforeId: the last `limit` before it', async () => {
    assertIds((await history({ beforeId: 20, limit: 5 })).map((m) => m.id), 15, 19);
    assertIds((await history({ beforeId: 3 })).map((m) => m.id), 1, 2);
    assertIds((await history({ beforeId: 61 })).map((m) => m.id), 11, 60);
    assert.deepEqual(await history({ beforeId: 1 }), []);
  });

  test('limit 0 and 501: 400', async () => {
    for (const limit of [0, 501, -1]) {
      assertError(await getHistory(main.url, bob.accessToken, roomId, { limit }), 400, BAD_INPUT);
    }
  });

  test('sinceId with beforeId, or a malformed one: 400', async () => {
    for (const query of [{ sinceId: 5, beforeId: 10 }, { sinceId: 'abc' }, { beforeId: 'x' }]) {
      assertError(await getHistory(main.url, bob.accessToken, roomId, query), 400, BAD_INPUT);
    }
  });

  test('a non-member: 403 NOT_A_MEMBER; an unknown room: 404; no token: 401', async () => {
    assertError(await getHistory(main.url, carol.accessToken, roomId), 403, 'NOT_A_MEMBER');
    assertError(await getHistory(main.url, bob.accessToken, crypto.randomUUID()), 404, 'NOT_FOUND');
    assertError(await getHistory(main.url, undefined, roomId), 401, 'UNAUTHORIZED');
  });
});

describe('sending', () => {
  test('a non-member: 403 NOT_A_MEMBER; an unknown room: 404; no token: 401', async () => {
    const roomId = await sharedRoom('send refusals');
    assertError(await postMessage(main.url, carol.accessToken, roomId, 'let me in'), 403, 'NOT_A_MEMBER');
    assertError(await postMessage(main.url, bob.accessToken, crypto.randomUUID(), 'hello?'), 404, 'NOT_FOUND');
    assertError(await postMessage(main.url, undefined, roomId, 'anonymous'), 401, 'UNAUTHORIZED');
  });

  test('malformed bodies and empty contents: 400, and no id is used up', async () => {
    const roomId = await sharedRoom('bad bodies');
    for (const body of [{}, { contents: 42 }, { contents: null }, { contents: '' }, { contents: '  \n\t ' }]) {
      const res = await postMessage(main.url, bob.accessToken, roomId, undefined, { body });
      assertError(res, 400, BAD_INPUT);
    }
    const raw = await request(main.url, 'POST', `/chatrooms/${roomId}/messages`,
                              { raw: '{"contents":', token: bob.accessToken });
    assertError(raw, 400, BAD_INPUT);
    assert.equal((await sendMessage(main.url, bob.accessToken, roomId, 'first real')).id, 1);
  });

  test('MAX_MESSAGE_LENGTH counts characters: 11 is 400, 10 multi-byte ones are kept', async () => {
    const owner = await newUser(instant.url, 'len');
    const { chatRoomId } = await createRoom(instant.url, owner.accessToken, 'lengths');
    // U+0000 too: PostgreSQL cannot store it, so it is refused in every mode.
    for (const contents of ['a'.repeat(11), '\u00e9'.repeat(11), '\u{1F600}'.repeat(11), 'a\u0000b']) {
      assertError(await postMessage(instant.url, owner.accessToken, chatRoomId, contents), 400, 'VALIDATION_ERROR');
    }
    for (const contents of ['a'.repeat(10), '\u00e9'.repeat(10), '\u{1F600}'.repeat(10)]) {
      const res = await postMessage(instant.url, owner.accessToken, chatRoomId, contents);
      assert.equal(res.status, 201,
                   `${[...contents].length} characters, ${Buffer.byteLength(contents)} bytes: ${res.text}`);
      assert.equal(res.json.contents, contents);
    }
    const history = await fullHistory(instant.url, owner.accessToken, chatRoomId);
    assert.deepEqual(history.map((m) => m.contents), ['a'.repeat(10), '\u00e9'.repeat(10), '\u{1F600}'.repeat(10)]);
    assertIds(history.map((m) => m.id), 1, 3);
  });

  test('the rate limit: the 4th at once is 429 RATE_LIMITED with Retry-After, then it refills', async () => {
    const [sender, other] = await Promise.all([newUser(limited.url, 'rate'), newUser(limited.url, 'rate')]);
    const { chatRoomId } = await createRoom(limited.url, sender.accessToken, 'limited');
    const second = await createRoom(limited.url, sender.accessToken, 'limited too');
    assert.equal((await joinRoom(limited.url, other.accessToken, chatRoomId)).status, 200);
    for (const n of [1, 2, 3]) {
      const res = await postMessage(limited.url, sender.accessToken, chatRoomId, `burst ${n}`);
      assert.equal(res.status, 201, `message ${n} of the burst: ${res.text}`);
    }
    const refused = await postMessage(limited.url, sender.accessToken, chatRoomId, 'one too many');
    const limitedAt = performance.now();
    assertError(refused, 429, 'RATE_LIMITED');
    const retryAfter = refused.headers.get('retry-after');
    assert.match(retryAfter ?? '', /^\d+$/, `Retry-After: ${retryAfter}`);
    assert.ok(Number(retryAfter) >= 1 && Number(retryAfter) <= 2, `Retry-After: ${retryAfter}`);

    // Per user and per room: the others are not limited.
    assert.equal((await postMessage(limited.url, other.accessToken, chatRoomId, 'me too')).status, 201);
    assert.equal((await postMessage(limited.url, sender.accessToken, second.chatRoomId, 'elsewhere')).status, 201);

    // A timed wait on purpose: the refill of the bucket with time is what is tested.
    await sleep(Math.max(0, 1100 - (performance.now() - limitedAt)));
    const again = await postMessage(limited.url, sender.accessToken, chatRoomId, 'after a second');
    assert.equal(again.status, 201, `after ~1 s: ${again.status} ${again.text}`);
    const history = await fullHistory(limited.url, sender.accessToken, chatRoomId);
    assert.deepEqual(history.map((m) => m.contents), ['burst 1', 'burst 2', 'burst 3', 'me too', 'after a second']);
    assertIds(history.map((m) => m.id), 1, 5);
  });
});
