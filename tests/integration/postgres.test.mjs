// One node on PostgreSQL (DATABASE_URL=postgresql://…, no Redis; SPEC section 1): the main flows
// end to end against a real PostgreSQL server, what a kill -9 of the node keeps, what the node
// does while PostgreSQL is away and after it is back, and two nodes sharing users and rooms.
// Without Redis, messages do not travel live between nodes: that is cluster mode, tested elsewhere.

import assert from 'node:assert/strict';
import { before, test } from 'node:test';

import { randomSecret, startServer } from './lib/server.mjs';
import { assertError, createRoom, exitRoom, joinRoom, newUser, request, signIn } from './lib/api.mjs';
import { connectStomp, openSse, range, sleep } from './lib/clients.mjs';
import { assertIds, assertMessage, fullHistory, postMessage, sendMessage } from './lib/messages.mjs';
import { startPostgres } from './lib/postgres.mjs';
import { subscribeConfirmed } from './lib/sessions.mjs';

let pg;  // shared by the tests that do not stop it

before(async () => {
  pg = await startPostgres();
});

const refresh = (url, refreshToken) => request(url, 'POST', '/users/refresh', { body: { refreshToken } });

/** Polls GET /readyz until it answers `status`; resolves to how many polls that took. */
async function waitReady(url, status, timeoutMs = 30_000) {
  const deadline = performance.now() + timeoutMs;
  for (let polls = 1; ; polls += 1) {
    const res = await request(url, 'GET', '/readyz');
    if (res.status === status) return polls;
    if (performance.now() > deadline) {
      throw new Error(`GET /readyz stayed ${res.status} (${res.text}), expected ${status}`);
    }
    await sleep(50);  // a poll
  }
}

test('users, rooms, messages, SSE and STOMP on PostgreSQL', async () => {
  const databaseUrl = await pg.createDatabase('flows');
  const server = await startServer({ env: { DATABASE_URL: databaseUrl, FLUSH_INTERVAL_MS: 20 } });
  const { url } = server;
  assert.equal((await request(url, 'GET', '/readyz')).status, 200);

  // Users: sign up, sign in, refresh once.
  const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((name) => newUser(url, name)));
  assertError(await request(url, 'POST', '/users/signup', { body: { userId: alice.userId, password: 'whatever pw' } }),
              409, 'USER_EXISTS');
  const renewed = await refresh(url, alice.refreshToken);
  assert.equal(renewed.status, 200, renewed.text);
  const raced = await Promise.all([refresh(url, renewed.json.refreshToken), refresh(url, renewed.json.refreshToken)]);
  assert.deepEqual(raced.map((r) => r.status).sort(), [200, 401], 'a refresh token raced twice is accepted once');
  // A spent token again: its whole family is revoked (SPEC 3), the race's winner included.
  assertError(await refresh(url, alice.refreshToken), 401, 'UNAUTHORIZED');
  assertError(await refresh(url, raced.find((r) => r.status === 200).json.refreshToken), 401, 'UNAUTHORIZED');

  // Rooms: create, list by name, join, rooms of a member.
  const room = await createRoom(url, alice.accessToken, 'Postgres Lobby');
  const roomId = room.chatRoomId;
  const listed = await request(url, 'GET', '/chatrooms?name=postgres%20LOB', { token: bob.accessToken });
  assert.equal(listed.status, 200, listed.text);
  assert.deepEqual(listed.json.chatRooms.map((r) => r.chatRoomId), [roomId]);
  assert.equal((await joinRoom(url, bob.accessToken, roomId)).status, 200);
  const bobsRooms = await request(url, 'GET', '/chatrooms/connected', { token: bob.accessToken });
  assert.deepEqual(bobsRooms.json.chatRooms.map((r) => r.chatRoomId), [roomId]);
  assert.equal(bobsRooms.json.chatRooms[0].numberOfUser, 2);

  // Messages: SSE and STOMP subscribers see the ids the senders were given, history keeps them.
  const sse = await openSse(url, `/chatrooms/${roomId}/events`, { token: bob.accessToken });
  const stomp = await connectStomp(url, { token: alice.accessToken });
  const subscription = await subscribeConfirmed(stomp, `/chat/${roomId}`);
  for (let n = 1; n <= 4; n += 1) {
    await sendMessage(url, n % 2 ? alice.accessToken : bob.accessToken, roomId, `hello ${n}`);
  }
  await stomp.publishWithReceipt(`/queue/message/${roomId}`, { contents: 'hello 5 over STOMP' });
  await subscription.waitForId(5);
  assert.deepEqual(subscription.ids, range(1, 5));
  const sent = subscription.messages;
  await sse.waitFor((c) => c.events.flatMap((e) => (e.type === 'message' ? e.data : [])).length >= 5,
                    10_000, 'five messages over SSE');
  const overSse = sse.events.filter((e) => e.type === 'message').flatMap((e) => e.data);
  assert.deepEqual(overSse, sent);
  const history = await fullHistory(url, bob.accessToken, roomId);
  assert.deepEqual(history, sent);
  for (const message of history) assertMessage(message, { roomId });

  // The rows are in PostgreSQL itself.
  assert.equal(await pg.sql(`SELECT count(*) FROM messages WHERE room_id = '${roomId}'`, 'flows'), '5');
  assert.equal(await pg.sql(`SELECT member_count FROM rooms WHERE room_id = '${roomId}'`, 'flows'), '2');

  // Exit, then the creator's exit closes the room.
  assert.equal((await exitRoom(url, bob.accessToken, roomId)).status, 200);
  assert.equal((await exitRoom(url, alice.accessToken, roomId)).status, 200);
  assertError(await joinRoom(url, carol.accessToken, roomId), 403, 'ROOM_CLOSED');
  assert.equal(await pg.sql(`SELECT closed FROM rooms WHERE room_id = '${roomId}'`, 'flows'), 't');
  sse.close();
  await stomp.close();
});

test('a message acknowledged right before kill -9 of the node is kept, and ids go on', async () => {
  const databaseUrl = await pg.createDatabase('durability');
  const jwtSecret = randomSecret();
  // A fresh DATA_DIR on each start: nothing can come from an SQLite file.
  let server = await startServer({ jwtSecret, env: { DATABASE_URL: databaseUrl } });
  const alice = await newUser(server.url, 'alice');
  const { chatRoomId: roomId } = await createRoom(server.url, alice.accessToken, 'kill -9');
  const acknowledged = await sendMessage(server.url, alice.accessToken, roomId, 'kept?');
  await server.kill9();

  server = await startServer({ jwtSecret, env: { DATABASE_URL: databaseUrl } });
  assert.deepEqual(await fullHistory(server.url, alice.accessToken, roomId), [acknowledged]);
  assert.equal((await sendMessage(server.url, alice.accessToken, roomId, 'next')).id, acknowledged.id + 1);
  // The user and her refresh token outlived the node too.
  assert.equal((await signIn(server.url, alice.userId)).status, 200);
  assert.equal((await refresh(server.url, alice.refreshToken)).status, 200);
});

test('PostgreSQL killed: /readyz and sends answer 503; restarted: both work again, ids without a gap', async () => {
  const own = await startPostgres();  // this test kills its server
  const server = await startServer({ env: { DATABASE_URL: await own.createDatabase('outage'), FLUSH_INTERVAL_MS: 20 } });
  const { url } = server;
  const alice = await newUser(url, 'alice');
  const { chatRoomId: roomId } = await createRoom(url, alice.accessToken, 'outage');
  const sse = await openSse(url, `/chatrooms/${roomId}/events`, { token: alice.accessToken });
  const first = await sendMessage(url, alice.accessToken, roomId, 'before');

  await own.kill9();
  await waitReady(url, 503);
  for (let n = 0; n < 3; n += 1) {
    assertError(await postMessage(url, alice.accessToken, roomId, `during ${n}`), 503, 'UNAVAILABLE');
  }
  assertError(await signIn(url, alice.userId), 503, 'UNAVAILABLE');
  assert.equal((await request(url, 'GET', '/healthz')).status, 200, 'the process itself is alive');

  await own.start();
  await waitReady(url, 200);
  const after = await sendMessage(url, alice.accessToken, roomId, 'after');
  assert.equal(after.id, first.id + 1, 'a refused send took no id');
  assert.deepEqual((await fullHistory(url, alice.accessToken, roomId)).map((m) => m.contents), ['before', 'after']);
  await sse.waitFor((c) => c.events.flatMap((e) => (e.type === 'message' ? e.data : [])).length >= 2,
                    10_000, 'both messages over SSE');
  const delivered = sse.events.filter((e) => e.type === 'message').flatMap((e) => e.data.map((m) => m.id));
  assertIds(delivered, 1, 2, 'SSE ids across the outage');
  sse.close();
});

test('two nodes on one PostgreSQL share users, tokens and rooms', async () => {
  const databaseUrl = await pg.createDatabase('two_nodes');
  const jwtSecret = randomSecret();
  const [a, b] = await Promise.all([
    startServer({ jwtSecret, env: { DATABASE_URL: databaseUrl } }),
    startServer({ jwtSecret, env: { DATABASE_URL: databaseUrl } }),
  ]);

  const alice = await newUser(a.url, 'alice');
  const onB = await signIn(b.url, alice.userId);
  assert.equal(onB.status, 200, `a user signed up on A signs in on B: ${onB.text}`);
  assertError(await request(b.url, 'POST', '/users/signup', { body: { userId: alice.userId, password: 'another pw' } }),
              409, 'USER_EXISTS');

  // A refresh token is spent once, whichever nodes race for it.
  const raced = await Promise.all([refresh(a.url, alice.refreshToken), refresh(b.url, alice.refreshToken)]);
  assert.deepEqual(raced.map((r) => r.status).sort(), [200, 401]);
  // The loser's reuse revoked the family on every node: the winner's new token is refused too.
  const winner = raced.find((r) => r.status === 200);
  assertError(await refresh(b.url, winner.json.refreshToken), 401, 'UNAUTHORIZED');
  assertError(await refresh(a.url, winner.json.refreshToken), 401, 'UNAUTHORIZED');

  const bob = await newUser(b.url, 'bob');
  const room = await createRoom(b.url, bob.accessToken, 'shared room');
  const onA = await request(a.url, 'GET', `/chatrooms/${room.chatRoomId}`, { token: alice.accessToken });
  assert.equal(onA.status, 200, onA.text);
  assert.equal(onA.json.name, 'shared room');
  assert.equal((await joinRoom(a.url, alice.accessToken, room.chatRoomId)).status, 200);
  const seenOnB = await request(b.url, 'GET', `/chatrooms/${room.chatRoomId}`, { token: bob.accessToken });
  assert.equal(seenOnB.json.numberOfUser, 2);
  const alicesRooms = await request(b.url, 'GET', '/chatrooms/connected', { token: onB.json.accessToken });
  assert.deepEqual(alicesRooms.json.chatRooms.map((r) => r.chatRoomId), [room.chatRoomId]);

  // Closed on B: A refuses the join.
  assert.equal((await exitRoom(b.url, bob.accessToken, room.chatRoomId)).status, 200);
  const carol = await newUser(a.url, 'carol');
  assertError(await joinRoom(a.url, carol.accessToken, room.chatRoomId), 403, 'ROOM_CLOSED');
});
