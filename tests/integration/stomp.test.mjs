// WebSocket + STOMP 1.2 at /ws (SPEC section 5.1, and SIGTERM of section 8), with a real client
// (@stomp/stompjs over ws) and, for what a real client never sends, hand-written frames:
// CONNECT and its refusals, subprotocols, MESSAGE frames, x-since-id, SEND with receipt,
// ERROR causes, closed rooms, heart-beats, STOMP beside SSE, and shutdown.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { before, describe, test } from 'node:test';
import { SignJWT } from 'jose';

import { startServer } from './lib/server.mjs';
import { createRoom, exitRoom, joinRoom, newUser } from './lib/api.mjs';
import {
  RawStomp, StompErrorFrame, connectStomp, openSse, range, sleep,
} from './lib/clients.mjs';
import {
  assertIds, assertMessage, assertSseBatches, fullHistory, sendMessage, sendSentinel, startPublisher,
} from './lib/messages.mjs';
import { subscribeConfirmed } from './lib/sessions.mjs';

const NO_LIMIT = { RATE_LIMIT_PER_S: 100000, RATE_LIMIT_BURST: 100000 };

let main;     // default settings but the rate limit
let limited;  // RATE_LIMIT_PER_S=1, RATE_LIMIT_BURST=3
let alice;    // creator of the rooms on `main`
let bob;      // joins them
let carol;    // never joins

before(async () => {
  [main, limited] = await Promise.all([
    startServer({ env: NO_LIMIT }),
    startServer({ env: { RATE_LIMIT_PER_S: 1, RATE_LIMIT_BURST: 3 } }),
  ]);
  [alice, bob, carol] = await Promise.all([
    newUser(main.url, 'alice'), newUser(main.url, 'bob'), newUser(main.url, 'carol'),
  ]);
});

const tag = () => crypto.randomBytes(4).toString('hex');
const chat = (roomId) => `/chat/${roomId}`;
const queue = (roomId) => `/queue/message/${roomId}`;

/** Alice sends one more message to a room on `main`; resolves once `receivers` have it. */
const sentinel = (roomId, ...receivers) => sendSentinel(main.url, alice.accessToken, roomId, ...receivers);

/** A room on `main` created by alice and joined by bob. */
async function sharedRoom(name = 'room') {
  const room = await createRoom(main.url, alice.accessToken, `${name} ${tag()}`);
  const joined = await joinRoom(main.url, bob.accessToken, room.chatRoomId);
  assert.equal(joined.status, 200, joined.text);
  return room.chatRoomId;
}

/** A raw STOMP connection to `server`, CONNECTed with `headers`. */
async function rawConnected(server, headers = {}, protocols = ['v12.stomp']) {
  const raw = await RawStomp.open(server.url, protocols);
  const connected = await raw.connect(headers);
  return { raw, connected };
}

const bearer = (user) => ({ Authorization: `Bearer ${user.accessToken}` });

/** Asserts an ERROR frame (stompjs or raw) with a non-empty `message` header. */
function assertErrorFrame(frame, receipt) {
  assert.equal(frame.command, 'ERROR', `expected ERROR, got ${frame.command}`);
  const headers = JSON.stringify(frame.headers);
  assert.ok((frame.headers.message ?? '').length > 0, `ERROR without a message header: ${headers}`);
  if (receipt !== undefined) {
    assert.equal(frame.headers['receipt-id'], receipt, `receipt-id of the ERROR: ${headers}`);
  }
}

/** Asserts that `promise` rejects with an ERROR frame, that the socket closes, and returns the frame. */
async function expectStompError(promise, session, { receipt } = {}) {
  let caught;
  await assert.rejects(promise, (error) => { caught = error; return error instanceof StompErrorFrame; });
  assertErrorFrame(caught.frame, receipt === true ? caught.receipt : receipt);
  assert.ok(await (session ?? caught.session).waitClosed(3000), 'the connection closes after ERROR');
  return caught.frame;
}

/** On a raw connection: waits for ERROR with a message, then for the close. */
async function expectRawError(raw, { receipt, afterIndex = 0 } = {}) {
  const frame = await raw.waitForFrame((f) => f.command === 'ERROR', 3000, 'ERROR', afterIndex);
  assertErrorFrame(frame, receipt);
  assert.ok(await raw.waitClosed(3000), `the connection closes after ERROR; ${raw.describe()}`);
  return frame;
}

describe('CONNECT', () => {
  test('a signed-in user: CONNECTED with version, heart-beat, server, user-name; v12.stomp', async () => {
    const session = await connectStomp(main.url, { token: alice.accessToken });
    try {
      const { headers } = session.connected;
      assert.equal(session.protocol, 'v12.stomp', 'the subprotocol chosen from v12, v11, v10');
      assert.equal(headers.version, '1.2');
      assert.match(headers['heart-beat'] ?? '', /^\d+,\d+$/);
      assert.ok((headers.server ?? '').length > 0, `server header: ${JSON.stringify(headers)}`);
      assert.equal(headers['user-name'], alice.userId);
    } finally {
      await session.close();
    }
  });

  test('the Bearer prefix is optional', async () => {
    const session = await connectStomp(main.url, { token: bob.accessToken, bearer: false });
    try {
      assert.equal(session.connected.headers['user-name'], bob.userId);
    } finally {
      await session.close();
    }
  });

  test('without a token: CONNECTED without user-name', async () => {
    const session = await connectStomp(main.url, {});
    try {
      assert.equal(session.connected.headers.version, '1.2');
      assert.equal(session.connected.headers['user-name'], undefined);
    } finally {
      await session.close();
    }
  });

  test('the STOMP command works as CONNECT does', async () => {
    const raw = await RawStomp.open(main.url, ['v12.stomp']);
    try {
      const connected = await raw.connect(bearer(alice), { command: 'STOMP' });
      assert.equal(connected.headers.version, '1.2');
      assert.equal(connected.headers['user-name'], alice.userId);
    } finally {
      raw.close();
    }
  });

  test('a client that offers no subprotocol is served STOMP all the same', async () => {
    const raw = await RawStomp.open(main.url, undefined);
    try {
      assert.equal(raw.protocol, '');
      const connected = await raw.connect(bearer(alice));
      assert.equal(connected.headers.version, '1.2');
    } finally {
      raw.close();
    }
  });

  test('v11.stomp and v10.stomp alone are chosen; accept-version 1.1 gets version 1.1', async () => {
    const v11 = await RawStomp.open(main.url, ['v11.stomp']);
    try {
      assert.equal(v11.protocol, 'v11.stomp');
      const connected = await v11.connect({ ...bearer(alice), 'accept-version': '1.1' });
      assert.equal(connected.headers.version, '1.1');
    } finally {
      v11.close();
    }
    const v10 = await RawStomp.open(main.url, ['v10.stomp']);
    try {
      assert.equal(v10.protocol, 'v10.stomp');
      await v10.connect({ ...bearer(alice), 'accept-version': '1.0' });
    } finally {
      v10.close();
    }
  });

  for (const [why, token] of [
    ['garbage', () => 'not-a-jwt'],
    ['a bad signature', () => `${alice.accessToken.slice(0, -4)}AAAA`],
    ['a refresh token', () => alice.refreshToken],
    ['an expired token', () => new SignJWT({ sub: alice.userId, typ: 'access' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(new TextEncoder().encode(main.jwtSecret))],
  ]) {
    test(`${why}: ERROR, then the connection closes`, async () => {
      await expectStompError(connectStomp(main.url, { token: await token() }));
    });
  }
});

describe('MESSAGE frames', () => {
  test('headers destination, subscription, message-id, content-type, content-length; body one Message', async () => {
    const roomId = await sharedRoom('headers');
    const session = await connectStomp(main.url, { token: bob.accessToken });
    try {
      const subscription = await subscribeConfirmed(session, chat(roomId), { id: 'my-sub' });
      const sent = await sendMessage(main.url, alice.accessToken, roomId, 'h\u00e9llo \u{1F600} \u4f60\u597d');
      await subscription.waitForId(sent.id);
      const [frame] = subscription.frames;
      assert.equal(frame.headers.destination, chat(roomId));
      assert.equal(frame.headers.subscription, 'my-sub');
      assert.equal(frame.headers['message-id'], `${roomId}:${sent.id}`);
      assert.match(frame.headers['content-type'] ?? '', /^application\/json\b/);
      assert.equal(Number(frame.headers['content-length']), Buffer.byteLength(frame.body, 'utf8'),
                   'content-length counts the bytes of the body');
      assertMessage(frame.json, { roomId });
      assert.deepEqual(frame.json, sent, 'the body is the Message the sender got');
    } finally {
      await session.close();
    }
  });

  test('each frame travels in its own WebSocket message', async () => {
    const roomId = await sharedRoom('one frame each');
    const { raw } = await rawConnected(main, bearer(bob));
    try {
      await raw.send('SUBSCRIBE', { id: 's1', destination: chat(roomId), receipt: 'sub-1' });
      await raw.waitForReceipt('sub-1', 3000);
      await Promise.all(range(1, 30).map((n) => sendMessage(main.url, alice.accessToken, roomId, `each ${n}`)));
      const messageFrames = (r) => r.frames.filter((f) => f.command === 'MESSAGE');
      await raw.waitFor((r) => messageFrames(r).length >= 30, 5000, '30 MESSAGE frames');
      const withFrames = raw.messages.filter((m) => m.frameCount > 0);
      assert.ok(withFrames.every((m) => m.frameCount === 1),
                `frames per WebSocket message: ${withFrames.map((m) => m.frameCount)}`);
      const ids = messageFrames(raw).map((f) => JSON.parse(f.body).id);
      assertIds(ids, 1, 30);
    } finally {
      raw.close();
    }
  });
});

describe('delivery', () => {
  test('two members over STOMP see the same messages in the same order', async () => {
    const roomId = await sharedRoom('two members');
    const [forAlice, forBob] = await Promise.all([
      connectStomp(main.url, { token: alice.accessToken }),
      connectStomp(main.url, { token: bob.accessToken }),
    ]);
    try {
      const [subA, subB] = await Promise.all([
        subscribeConfirmed(forAlice, chat(roomId)), subscribeConfirmed(forBob, chat(roomId)),
      ]);
      const sends = [];
      for (let n = 0; n < 10; n += 1) {
        sends.push(forAlice.publishWithReceipt(queue(roomId), { contents: `alice ${n}` }));
        sends.push(forBob.publishWithReceipt(queue(roomId), { contents: `bob ${n}` }));
      }
      await Promise.all(sends);
      await Promise.all([subA.waitForCount(20), subB.waitForCount(20)]);
      const last = await sentinel(roomId, subA, subB);
      assertIds(subA.ids, 1, last, 'alice saw');
      assert.deepEqual(subB.messages, subA.messages, 'both saw the same messages in the same order');
      assert.equal(subA.messages.filter((m) => m.sender === alice.userId && m.contents.startsWith('alice ')).length, 10);
      assert.deepEqual(subA.messages, await fullHistory(main.url, alice.accessToken, roomId), 'as kept in history');
    } finally {
      await forAlice.close();
      await forBob.close();
    }
  });

  test('SEND with receipt: RECEIPT once kept, in history at once; sender from the token', async () => {
    const roomId = await sharedRoom('receipts');
    const session = await connectStomp(main.url, { token: bob.accessToken });
    try {
      for (let n = 1; n <= 5; n += 1) {
        const receipt = await session.publishWithReceipt(queue(roomId), {
          contents: `kept ${n}`, sender: 'mallory', id: 999, roomId: crypto.randomUUID(), type: 'closed',
        });
        assert.equal(receipt.command, 'RECEIPT');
        const history = await fullHistory(main.url, alice.accessToken, roomId);
        assert.equal(history.length, n, 'the message is in history when its RECEIPT arrives');
        assertMessage(history[n - 1], { id: n, roomId, sender: bob.userId, contents: `kept ${n}` });
      }
    } finally {
      await session.close();
    }
  });

  test('x-since-id replays what follows, then live, with no gap or duplicate while messages keep coming', async () => {
    const roomId = await sharedRoom('since');
    const publisher = startPublisher(main.url, alice.accessToken, roomId, { intervalMs: 3 });
    const session = await connectStomp(main.url, { token: bob.accessToken });
    try {
      await publisher.waitForAcked(20);
      const subscription = session.subscribe(chat(roomId), { 'x-since-id': '5' });
      await subscription.waitForId(publisher.acked.length + 40, 10_000);
      const acked = await publisher.stop();
      const lastId = acked[acked.length - 1].id;
      await subscription.waitForId(lastId);
      const last = await sentinel(roomId, subscription);
      assertIds(subscription.ids, 6, last, 'replayed, then live');
      assert.deepEqual(subscription.messages, (await fullHistory(main.url, bob.accessToken, roomId)).slice(5));
    } finally {
      await publisher.stop().catch(() => {});
      await session.close();
    }
  });

  test('x-since-id after more than 1 MiB of messages (within HISTORY_SIZE) replays them all', async () => {
    const roomId = await sharedRoom('since a lot');
    const count = 700;  // ~1.5 MiB of JSON, fewer than HISTORY_SIZE (1000)
    let next = 0;
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (next < count) {
        next += 1;
        await sendMessage(main.url, alice.accessToken, roomId, `${next} ${'y'.repeat(1990)}`);
      }
    }));
    const session = await connectStomp(main.url, { token: bob.accessToken });
    try {
      const subscription = session.subscribe(chat(roomId), { 'x-since-id': '1' });
      await subscription.waitForId(count, 10_000);
      assertIds(subscription.ids, 2, count);
    } finally {
      await session.close();
    }
  });

  test('UNSUBSCRIBE stops a subscription; ACK and NACK are accepted; DISCONNECT gets its RECEIPT', async () => {
    const roomId = await sharedRoom('unsubscribe');
    const { raw } = await rawConnected(main, bearer(bob));
    try {
      await raw.send('SUBSCRIBE', { id: 's1', destination: chat(roomId), ack: 'auto', receipt: 'r-sub' });
      await raw.waitForReceipt('r-sub', 3000);
      await sendMessage(main.url, alice.accessToken, roomId, 'one');
      const message = await raw.waitForFrame((f) => f.command === 'MESSAGE', 3000, 'MESSAGE');
      await raw.send('ACK', { id: message.headers.ack ?? message.headers['message-id'] });
      await raw.send('NACK', { id: message.headers.ack ?? message.headers['message-id'] });
      await raw.send('UNSUBSCRIBE', { id: 's1', receipt: 'r-unsub' });
      await raw.waitForReceipt('r-unsub', 3000);
      // A second subscription to the room: message two reaches it in the same tick as it
      // would have reached s1, so once s2 has it, s1 has had its chance.
      await raw.send('SUBSCRIBE', { id: 's2', destination: chat(roomId), receipt: 'r-sub-2' });
      await raw.waitForReceipt('r-sub-2', 3000);
      await sendMessage(main.url, alice.accessToken, roomId, 'two');
      await raw.waitForFrame((f) => f.command === 'MESSAGE' && f.headers.subscription === 's2', 3000,
                             'MESSAGE for s2');
      const forS1 = raw.frames.filter((f) => f.command === 'MESSAGE' && f.headers.subscription === 's1');
      assert.equal(forS1.length, 1, 'nothing for s1 after UNSUBSCRIBE');
      assert.equal(raw.frames.filter((f) => f.command === 'ERROR').length, 0, raw.describe());
      await raw.send('DISCONNECT', { receipt: 'r-bye' });
      await raw.waitForReceipt('r-bye', 3000);
    } finally {
      raw.close();
    }
  });

  test('STOMP and SSE subscribers of a room receive the same messages', async () => {
    const roomId = await sharedRoom('both transports');
    const sse = await openSse(main.url, `/chatrooms/${roomId}/events`, { token: alice.accessToken });
    const session = await connectStomp(main.url, { token: bob.accessToken });
    try {
      const subscription = await subscribeConfirmed(session, chat(roomId));
      await Promise.all([
        ...range(1, 15).map((n) => session.publishWithReceipt(queue(roomId), { contents: `stomp ${n}` })),
        ...range(1, 15).map((n) => sendMessage(main.url, alice.accessToken, roomId, `rest ${n}`)),
      ]);
      await Promise.all([subscription.waitForCount(30), sse.waitForCount(30)]);
      const last = await sentinel(roomId, subscription, sse);
      assertIds(sse.ids, 1, last, 'over SSE');
      assertSseBatches(sse.batches, roomId);
      assert.deepEqual(subscription.messages, sse.messages, 'the same Messages over STOMP and SSE');
    } finally {
      sse.close();
      await session.close();
    }
  });
});

describe('errors', () => {
  test('SEND by a non-member: ERROR with the receipt-id of the SEND, then close', async () => {
    const roomId = await sharedRoom('not yours');
    const session = await connectStomp(main.url, { token: carol.accessToken });
    await expectStompError(session.publishWithReceipt(queue(roomId), { contents: 'let me in' }), session,
                           { receipt: true });
    assert.deepEqual(await fullHistory(main.url, alice.accessToken, roomId), []);
  });

  test('SUBSCRIBE to a room one is not a member of: ERROR, then close', async () => {
    const roomId = await sharedRoom('private talk');
    const session = await connectStomp(main.url, { token: carol.accessToken });
    session.subscribe(chat(roomId));
    assertErrorFrame(await session.waitForError(3000));
    assert.ok(await session.waitClosed(3000));
  });

  test('an anonymous connection can neither subscribe to a chat room nor send to it', async () => {
    const roomId = await sharedRoom('anonymous');
    const reader = await connectStomp(main.url, {});
    reader.subscribe(chat(roomId));
    assertErrorFrame(await reader.waitForError(3000));
    assert.ok(await reader.waitClosed(3000));
    const writer = await connectStomp(main.url, {});
    await expectStompError(writer.publishWithReceipt(queue(roomId), { contents: 'anonymous' }), writer);
  });

  for (const [why, command, destination] of [
    ['SUBSCRIBE to an unknown destination', 'SUBSCRIBE', '/topic/news'],
    ['SUBSCRIBE to /chat/ with a malformed id', 'SUBSCRIBE', '/chat/not-a-uuid'],
    ['SEND to an unknown destination', 'SEND', '/queue/elsewhere'],
    ['SEND to a room that does not exist', 'SEND', `/queue/message/${crypto.randomUUID()}`],
  ]) {
    test(`${why}: ERROR with receipt-id, then close`, async () => {
      const { raw } = await rawConnected(main, bearer(alice));
      try {
        const headers = { destination, receipt: 'r-77', ...(command === 'SUBSCRIBE' ? { id: 's1' } : {}) };
        await raw.send(command, headers, command === 'SEND' ? '{"contents":"hello"}' : '');
        await expectRawError(raw, { receipt: 'r-77' });
      } finally {
        raw.close();
      }
    });
  }

  test('SUBSCRIBE to an id that is no chat room listens to a live-stream session (SPEC 6)', async () => {
    // A session exists from its first message or listener: an unknown id is one, not an error.
    const { raw } = await rawConnected(main, bearer(alice));
    try {
      await raw.send('SUBSCRIBE', { id: 's1', destination: `/chat/${crypto.randomUUID()}`, receipt: 'r-9' }, '');
      await raw.waitForReceipt('r-9');
      // One more round trip after the SUBSCRIBE was handled: an ERROR would have come first.
      await raw.send('UNSUBSCRIBE', { id: 's1', receipt: 'r-10' });
      await raw.waitForReceipt('r-10');
      assert.equal(raw.frames.filter((f) => f.command === 'ERROR').length, 0, raw.describe());
    } finally {
      raw.close();
    }
  });

  for (const [why, text] of [
    ['an unknown command', 'HELLO\nreceipt:r-1\n\n\0'],
    ['SEND without a destination', 'SEND\nreceipt:r-1\n\n{"contents":"x"}\0'],
    ['SUBSCRIBE without an id', `SUBSCRIBE\ndestination:/chat/${crypto.randomUUID()}\nreceipt:r-1\n\n\0`],
    ['a header line without a colon', 'SEND\ndestination\nreceipt:r-1\n\n{"contents":"x"}\0'],
    ['bytes that are no frame', '\u0001\u0002 definitely not STOMP \u00ff\0'],
  ]) {
    test(`a malformed frame (${why}): ERROR with a message, then close`, async () => {
      const { raw } = await rawConnected(main, bearer(alice));
      try {
        await raw.sendRaw(text);
        await expectRawError(raw);
      } finally {
        raw.close();
      }
    });
  }

  test('an ERROR for a SEND carries its receipt-id, whatever the cause', async () => {
    const roomId = await sharedRoom('receipt ids');
    const closedRoom = await sharedRoom('receipt ids closed');
    assert.equal((await exitRoom(main.url, alice.accessToken, closedRoom)).status, 200);
    const rateUser = await newUser(limited.url, 'rid');
    const { chatRoomId: limitedRoom } = await createRoom(limited.url, rateUser.accessToken, 'receipt ids');
    const causes = [
      ['not a member', main, carol, queue(roomId), { contents: 'x' }],
      ['no such room', main, bob, queue(crypto.randomUUID()), { contents: 'x' }],
      ['unknown destination', main, bob, '/queue/elsewhere', { contents: 'x' }],
      ['empty contents', main, bob, queue(roomId), { contents: '' }],
      ['not JSON', main, bob, queue(roomId), 'not json'],
      ['over MAX_MESSAGE_LENGTH', main, bob, queue(roomId), { contents: 'a'.repeat(2001) }],
      ['room closed', main, bob, queue(closedRoom), { contents: 'x' }],
      ['rate limited', limited, rateUser, queue(limitedRoom), { contents: 'x' }],
    ];
    const wrong = [];
    for (const [cause, server, user, destination, body] of causes) {
      const session = await connectStomp(server.url, { token: user.accessToken });
      const send = () => session.publishWithReceipt(destination, body).then(() => null, (e) => e);
      let error = await send();
      // The burst of 3 is taken first; on a slow machine a token may come back meanwhile (one
      // a second), so the limit is sent into until it answers, a few times at most.
      for (let n = 1; cause === 'rate limited' && error === null && n < 10; n += 1) error = await send();
      const headers = error?.frame?.headers;
      if (!headers) wrong.push(`${cause}: no ERROR (${error?.message ?? 'RECEIPT'})`);
      else if (headers['receipt-id'] !== error.receipt) wrong.push(`${cause}: ${JSON.stringify(headers)}`);
      await session.close();
    }
    assert.deepEqual(wrong, [], `ERROR frames without the receipt-id of the SEND:\n${wrong.join('\n')}`);
  });

  test('a frame before CONNECT: ERROR, then close', async () => {
    const raw = await RawStomp.open(main.url, ['v12.stomp']);
    try {
      await raw.send('SUBSCRIBE', { id: 's1', destination: '/chat/00000000-0000-4000-8000-000000000000' });
      await expectRawError(raw);
    } finally {
      raw.close();
    }
  });

  test('a body that is not {"contents"} JSON, or empty contents: ERROR', async () => {
    const roomId = await sharedRoom('bad bodies');
    const bodies = ['not json', '{"contents":', '{}', '{"contents":42}', '{"contents":""}', '{"contents":"  "}'];
    for (const body of bodies) {
      const session = await connectStomp(main.url, { token: bob.accessToken });
      await expectStompError(session.publishWithReceipt(queue(roomId), body), session);
    }
    assert.deepEqual(await fullHistory(main.url, alice.accessToken, roomId), []);
  });

  test('contents over MAX_MESSAGE_LENGTH (2000 characters): ERROR; 2000 multi-byte ones: RECEIPT', async () => {
    const roomId = await sharedRoom('long');
    const session = await connectStomp(main.url, { token: bob.accessToken });
    await session.publishWithReceipt(queue(roomId), { contents: '\u00e9'.repeat(2000) });
    await session.publishWithReceipt(queue(roomId), { contents: '\u{1F600}'.repeat(2000) });
    await expectStompError(session.publishWithReceipt(queue(roomId), { contents: 'a'.repeat(2001) }), session);
    const history = await fullHistory(main.url, alice.accessToken, roomId);
    assert.deepEqual(history.map((m) => m.contents), ['\u00e9'.repeat(2000), '\u{1F600}'.repeat(2000)]);
  });

  test('over the rate limit: ERROR, then close; a second later sending works again', async () => {
    const user = await newUser(limited.url, 'rate');
    const { chatRoomId: roomId } = await createRoom(limited.url, user.accessToken, 'limited');
    const session = await connectStomp(limited.url, { token: user.accessToken });
    for (const n of [1, 2, 3]) await session.publishWithReceipt(queue(roomId), { contents: `burst ${n}` });
    await expectStompError(session.publishWithReceipt(queue(roomId), { contents: 'one too many' }), session);
    // A timed wait on purpose: the refill of the bucket with time is what is tested
    // (RATE_LIMIT_PER_S=1: one more after a second).
    await sleep(1100);
    const again = await connectStomp(limited.url, { token: user.accessToken });
    try {
      await again.publishWithReceipt(queue(roomId), { contents: 'after a second' });
    } finally {
      await again.close();
    }
    const history = await fullHistory(limited.url, user.accessToken, roomId);
    assert.deepEqual(history.map((m) => m.contents), ['burst 1', 'burst 2', 'burst 3', 'after a second']);
  });
});

describe('closed rooms', () => {
  test('the creator exits: the messages, one {"type":"closed","roomId"} MESSAGE, then nothing more', async () => {
    const roomId = await sharedRoom('closing');
    const session = await connectStomp(main.url, { token: bob.accessToken });
    try {
      const subscription = await subscribeConfirmed(session, chat(roomId), { id: 'closing-sub' });
      for (const n of [1, 2]) await sendMessage(main.url, alice.accessToken, roomId, `before ${n}`);
      assert.equal((await exitRoom(main.url, alice.accessToken, roomId)).status, 200);
      const closed = await subscription.waitForClosed(3000);
      assert.deepEqual(closed.json, { type: 'closed', roomId });
      assert.equal(closed.headers.destination, chat(roomId));
      assert.equal(closed.headers.subscription, 'closing-sub');
      assertIds(subscription.ids, 1, 2, 'messages before the close');
      assert.equal(subscription.frames[subscription.frames.length - 1], closed, 'closed comes last');
      // A message in another room on the same connection: anything more for closing-sub
      // would have been written before it.
      const other = await sharedRoom('after closing');
      await sentinel(other, await subscribeConfirmed(session, chat(other)));
      assert.equal(subscription.frames[subscription.frames.length - 1], closed, 'nothing after closed');
      assert.equal(subscription.frames.filter((f) => f.json?.type === 'closed').length, 1);
    } finally {
      await session.close();
    }
  });

  test('SEND to a closed room: ERROR', async () => {
    const roomId = await sharedRoom('closed send');
    assert.equal((await exitRoom(main.url, alice.accessToken, roomId)).status, 200);
    const session = await connectStomp(main.url, { token: bob.accessToken });
    await expectStompError(session.publishWithReceipt(queue(roomId), { contents: 'anyone?' }), session);
  });
});

describe('heart-beats', () => {
  test('a client that asked heart-beat:1000,1000 and then stays silent is disconnected within ~2 s', async () => {
    const { raw, connected } = await rawConnected(main, { ...bearer(alice), 'heart-beat': '1000,1000' });
    try {
      const connectedAt = connected.at;
      assert.ok(await raw.waitClosed(4000),
                `still open 4 s after CONNECTED (heart-beat ${connected.headers['heart-beat']})`);
      const silentFor = raw.closeInfo.at - connectedAt;
      assert.ok(silentFor >= 1000 && silentFor <= 3500,
                `disconnected after ${Math.round(silentFor)} ms of silence (CONNECTED heart-beat ` +
                `${connected.headers['heart-beat']}); expected about 2 s`);
    } finally {
      raw.close();
    }
  });

  test('a client that keeps beating stays connected, and the server beats too', async () => {
    const { raw, connected } = await rawConnected(main, { ...bearer(alice), 'heart-beat': '1000,1000' });
    const beat = setInterval(() => { raw.sendRaw('\n'); }, 400);
    try {
      const [serverSends] = connected.headers['heart-beat'].split(',').map(Number);
      assert.ok(serverSends > 0, `the server offers no heart-beats: ${connected.headers['heart-beat']}`);
      await sleep(3500);  // timed on purpose: staying connected over time is what is tested
      assert.ok(raw.isOpen, `closed although the client kept beating; ${raw.describe()}`);
      const every = Math.max(serverSends, 1000);
      assert.ok(raw.heartbeats >= Math.floor(3500 / every) - 1,
                `${raw.heartbeats} heart-beats from the server in 3.5 s (every ${every} ms agreed)`);
    } finally {
      clearInterval(beat);
      raw.close();
    }
  });

  test('stompjs with 1 s heart-beats both ways stays connected over 5 s', async () => {
    const roomId = await sharedRoom('beats');
    const session = await connectStomp(main.url, {
      token: bob.accessToken, heartbeat: { incoming: 1000, outgoing: 1000 },
    });
    try {
      const subscription = session.subscribe(chat(roomId));
      await sleep(5200);  // timed on purpose: staying connected over time is what is tested
      assert.ok(session.isOpen, `closed: ${session.describe()}`);
      assert.equal(session.errors.length, 0, session.describe());
      await session.publishWithReceipt(queue(roomId), { contents: 'still here' });
      await subscription.waitForId(1);
    } finally {
      await session.close();
    }
  });
});

test('SIGTERM: STOMP clients get ERROR "server shutting down" and a close; exit 0 within 10 s', async () => {
  const server = await startServer({ env: NO_LIMIT });
  const user = await newUser(server.url, 'term');
  const { chatRoomId: roomId } = await createRoom(server.url, user.accessToken, 'shutting down');
  const session = await connectStomp(server.url, { token: user.accessToken });
  session.subscribe(chat(roomId));
  const { raw } = await rawConnected(server, bearer(user));
  await raw.send('SUBSCRIBE', { id: 's1', destination: chat(roomId) });
  await session.publishWithReceipt(queue(roomId), { contents: 'last words' });

  const stopped = await server.stop('SIGTERM');
  assert.equal(stopped.signal, null, `ended by signal ${stopped.signal}`);
  assert.equal(stopped.code, 0);
  assert.ok(stopped.elapsedMs < 10_000, `took ${Math.round(stopped.elapsedMs)} ms`);
  assert.ok(await raw.waitClosed(1000), 'the raw connection is closed');
  assert.ok(await session.waitClosed(1000), 'the stompjs connection is closed');
  const error = raw.frames.find((f) => f.command === 'ERROR');
  assert.ok(error, `no ERROR before the close; ${raw.describe()}`);
  assert.match(error.headers.message ?? '', /shutting down/i);
  assert.ok(session.errors.some((f) => /shutting down/i.test(f.headers.message ?? '')),
            `stompjs saw: ${session.describe()}`);
});
