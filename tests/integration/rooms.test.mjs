// Chat rooms (SPEC section 4, without /messages): create, list and page, get, join and exit,
// private rooms, membership counts and closing by the creator.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { before, describe, test } from 'node:test';

import { startServer } from './lib/server.mjs';
import {
  TIMESTAMP, UUID, assertError, createRoom, exitRoom, getRoom, joinRoom, newUser, request,
} from './lib/api.mjs';

const ROOM_KEYS = ['chatRoomId', 'closed', 'createdAt', 'creator', 'name', 'numberOfUser', 'privateRoom'];
const BAD_INPUT = ['VALIDATION_ERROR', 'BAD_REQUEST'];

let url;
let alice;
let bob;
let carol;

before(async () => {
  const server = await startServer();
  url = server.url;
  [alice, bob, carol] = await Promise.all([newUser(url, 'alice'), newUser(url, 'bob'), newUser(url, 'carol')]);
});

const tag = () => `t${crypto.randomBytes(5).toString('hex')}`;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function assertRoom(room, expected) {
  assert.deepEqual(Object.keys(room).sort(), ROOM_KEYS, `Room shape: ${JSON.stringify(room)}`);
  assert.match(room.chatRoomId, UUID);
  assert.match(room.createdAt, TIMESTAMP);
  for (const [name, value] of Object.entries(expected)) {
    assert.deepEqual(room[name], value, `${name} of ${JSON.stringify(room)}`);
  }
}

async function list(token, query) {
  const res = await request(url, 'GET', `/chatrooms?${new URLSearchParams(query)}`, { token });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(Object.keys(res.json).sort(), ['chatRooms', 'total']);
  return res.json;
}

async function connected(token, query = {}) {
  const res = await request(url, 'GET', `/chatrooms/connected?${new URLSearchParams(query)}`, { token });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(Object.keys(res.json).sort(), ['chatRooms', 'total']);
  return res.json;
}

async function numberOfUser(roomId) {
  const res = await getRoom(url, alice.accessToken, roomId);
  assert.equal(res.status, 200, res.text);
  return res.json.numberOfUser;
}

describe('create', () => {
  test('a public room: 201 Room', async () => {
    const before = Date.now();
    const name = `public ${tag()}`;
    const room = await createRoom(url, alice.accessToken, name);
    assertRoom(room, {
      name, creator: alice.userId, privateRoom: false, numberOfUser: 1, closed: false,
    });
    const created = Date.parse(room.createdAt);
    assert.ok(created >= before - 2000 && created <= Date.now() + 2000, 'createdAt is now');
  });

  test('a private room: 201 Room with privateRoom and no password in it', async () => {
    const name = `private ${tag()}`;
    const room = await createRoom(url, alice.accessToken, name, 'secret-pw');
    assertRoom(room, {
      name, creator: alice.userId, privateRoom: true, numberOfUser: 1, closed: false,
    });
  });

  test('an empty password makes a public room', async () => {
    const room = await createRoom(url, alice.accessToken, `empty pw ${tag()}`, '');
    assert.equal(room.privateRoom, false);
  });

  test('rooms get distinct ids', async () => {
    const a = await createRoom(url, alice.accessToken, 'same name');
    const b = await createRoom(url, alice.accessToken, 'same name');
    assert.notEqual(a.chatRoomId, b.chatRoomId);
  });

  test('names of 1 to 100 characters, counted as characters not bytes', async () => {
    for (const name of ['x', 'n'.repeat(100), '\u00e9'.repeat(100), '\u{1F600}'.repeat(100),
                        `\u4f60\u597d ${tag()}`]) {
      const res = await request(url, 'POST', '/chatrooms', { body: { name }, token: alice.accessToken });
      assert.equal(res.status, 201, `${[...name].length} characters, ${Buffer.byteLength(name)} bytes: ${res.text}`);
      assert.equal(res.json.name, name, 'the name comes back as sent');
    }
  });

  for (const [why, body] of [
    ['an empty name', { name: '' }],
    ['101 characters', { name: 'n'.repeat(101) }],
    ['101 two-byte characters', { name: '\u00e9'.repeat(101) }],
    ['101 emoji', { name: '\u{1F600}'.repeat(101) }],
    ['a name holding U+0000', { name: 'a\u0000b' }],
  ]) {
    test(`${why}: 400 VALIDATION_ERROR`, async () => {
      const res = await request(url, 'POST', '/chatrooms', { body, token: alice.accessToken });
      assertError(res, 400, 'VALIDATION_ERROR');
    });
  }

  for (const [why, body] of [
    ['no name', {}],
    ['a number as name', { name: 42 }],
    ['null as name', { name: null }],
    ['a number as password', { name: 'ok', password: 1234 }],
  ]) {
    test(`${why}: 400`, async () => {
      const res = await request(url, 'POST', '/chatrooms', { body, token: alice.accessToken });
      assertError(res, 400, BAD_INPUT);
    });
  }

  test('malformed JSON: 400', async () => {
    const res = await request(url, 'POST', '/chatrooms', { raw: '{"name":', token: alice.accessToken });
    assertError(res, 400, BAD_INPUT);
  });
});

describe('list', () => {
  let prefix;
  let rooms;  // oldest first

  before(async () => {
    prefix = `List-${tag()}`;
    rooms = [];
    for (let i = 0; i < 5; i += 1) {
      rooms.push(await createRoom(url, alice.accessToken, `${prefix}-${i}`));
      await sleep(5);  // distinct createdAt, so "newest first" has one answer
    }
  });

  const names = (page) => page.chatRooms.map((room) => room.name);

  test('newest first, with total, Room shape', async () => {
    const page = await list(bob.accessToken, { name: prefix });
    assert.equal(page.total, 5);
    assert.deepEqual(names(page), rooms.map((r) => r.name).reverse());
    for (const room of page.chatRooms) assertRoom(room, {});
    assert.deepEqual(page.chatRooms[4], rooms[0], 'a listed room equals the created one');
  });

  test('offset is the page number, limit the page size', async () => {
    const expected = rooms.map((r) => r.name).reverse();
    const pages = [];
    for (let offset = 0; offset < 4; offset += 1) {
      const page = await list(bob.accessToken, { name: prefix, limit: 2, offset });
      assert.equal(page.total, 5, `total on page ${offset}`);
      pages.push(names(page));
    }
    assert.deepEqual(pages, [expected.slice(0, 2), expected.slice(2, 4), expected.slice(4), []]);
  });

  test('name filter: case-insensitive substring', async () => {
    const middle = prefix.slice(3).toUpperCase();  // from inside the names, in upper case
    const page = await list(bob.accessToken, { name: middle });
    assert.equal(page.total, 5, `filter ${middle}`);
    const one = await list(bob.accessToken, { name: `${prefix}-3`.toLowerCase() });
    assert.deepEqual(names(one), [`${prefix}-3`]);
    const none = await list(bob.accessToken, { name: `${prefix}-nothing` });
    assert.deepEqual(none, { chatRooms: [], total: 0 });
  });

  test('name filter: % and _ are literal characters', async () => {
    const t = tag();
    await createRoom(url, alice.accessToken, `wild ${t} a_b`);
    await createRoom(url, alice.accessToken, `wild ${t} axb`);
    await createRoom(url, alice.accessToken, `wild ${t} 100%`);
    assert.deepEqual(names(await list(bob.accessToken, { name: `${t} a_b` })), [`wild ${t} a_b`]);
    assert.deepEqual(names(await list(bob.accessToken, { name: `${t} 100%` })), [`wild ${t} 100%`]);
    assert.equal((await list(bob.accessToken, { name: `${t}%b` })).total, 0);
  });

  test('default page size is 20; limits 1 and 100 accepted', async () => {
    const t = `many-${tag()}`;
    for (let i = 0; i < 21; i += 1) await createRoom(url, alice.accessToken, `${t}-${i}`);
    const page = await list(bob.accessToken, { name: t });
    assert.equal(page.total, 21);
    assert.equal(page.chatRooms.length, 20);
    assert.equal((await list(bob.accessToken, { name: t, limit: 1 })).chatRooms.length, 1);
    assert.equal((await list(bob.accessToken, { name: t, limit: 100 })).chatRooms.length, 21);
  });

  test('without a filter, every room counts in total', async () => {
    const page = await list(bob.accessToken, { limit: 100 });
    assert.ok(page.total >= 5, `total ${page.total}`);
    assert.equal(page.chatRooms.length, Math.min(page.total, 100));
  });

  for (const query of [
    { limit: 0 }, { limit: 101 }, { limit: -1 }, { limit: 'abc' }, { limit: '1.5' },
    { offset: -1 }, { offset: 'abc' }, { offset: '1e3' },
  ]) {
    test(`out-of-range paging ${JSON.stringify(query)}: 400`, async () => {
      const res = await request(url, 'GET', `/chatrooms?${new URLSearchParams(query)}`,
                                { token: bob.accessToken });
      assertError(res, 400, BAD_INPUT);
    });
  }

  test('a huge offset is not a server error', async () => {
    for (const offset of ['1000000', '99999999999999999999999']) {
      const res = await request(url, 'GET', `/chatrooms?offset=${offset}`, { token: bob.accessToken });
      assert.ok(res.status === 200 || res.status === 400, `offset ${offset}: ${res.status} ${res.text}`);
      if (res.status === 200) assert.deepEqual(res.json.chatRooms, []);
    }
  });
});

describe('get', () => {
  test('by id: 200 the Room', async () => {
    const room = await createRoom(url, alice.accessToken, `get ${tag()}`);
    const res = await getRoom(url, bob.accessToken, room.chatRoomId);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, room);
  });

  test('an unknown UUID: 404 NOT_FOUND', async () => {
    assertError(await getRoom(url, bob.accessToken, crypto.randomUUID()), 404, 'NOT_FOUND');
  });

  test('a malformed id: 400', async () => {
    for (const id of ['not-a-uuid', '123', `${crypto.randomUUID()}0`, 'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz']) {
      assertError(await getRoom(url, bob.accessToken, id), 400, BAD_INPUT);
    }
  });
});

describe('join and exit', () => {
  test('join a public room: 200 an array; numberOfUser follows', async () => {
    const room = await createRoom(url, alice.accessToken, `join ${tag()}`);
    const res = await joinRoom(url, bob.accessToken, room.chatRoomId);
    assert.equal(res.status, 200, res.text);
    assert.ok(Array.isArray(res.json), `join answers an array of messages: ${res.text}`);
    assert.equal(await numberOfUser(room.chatRoomId), 2);
    assert.equal((await joinRoom(url, carol.accessToken, room.chatRoomId)).status, 200);
    assert.equal(await numberOfUser(room.chatRoomId), 3);
  });

  test('join without a body (public room): 200', async () => {
    const room = await createRoom(url, alice.accessToken, `nobody ${tag()}`);
    const res = await request(url, 'POST', `/chatrooms/${room.chatRoomId}`, { token: bob.accessToken });
    assert.equal(res.status, 200, res.text);
    assert.ok(Array.isArray(res.json));
  });

  test('join twice: 409 ALREADY_JOINED, also for the creator', async () => {
    const room = await createRoom(url, alice.accessToken, `twice ${tag()}`);
    assertError(await joinRoom(url, alice.accessToken, room.chatRoomId), 409, 'ALREADY_JOINED');
    assert.equal((await joinRoom(url, bob.accessToken, room.chatRoomId)).status, 200);
    assertError(await joinRoom(url, bob.accessToken, room.chatRoomId), 409, 'ALREADY_JOINED');
    assert.equal(await numberOfUser(room.chatRoomId), 2);
  });

  test('a private room needs its password: 403 WRONG_PASSWORD, then 200', async () => {
    const room = await createRoom(url, alice.accessToken, `locked ${tag()}`, 'open sesame');
    assertError(await joinRoom(url, carol.accessToken, room.chatRoomId), 403, 'WRONG_PASSWORD');
    assertError(await joinRoom(url, carol.accessToken, room.chatRoomId, 'open sesam'), 403, 'WRONG_PASSWORD');
    assertError(await joinRoom(url, carol.accessToken, room.chatRoomId, ''), 403, 'WRONG_PASSWORD');
    assertError(await request(url, 'POST', `/chatrooms/${room.chatRoomId}`, { token: carol.accessToken }),
                403, 'WRONG_PASSWORD');
    assert.equal(await numberOfUser(room.chatRoomId), 1);
    const res = await joinRoom(url, carol.accessToken, room.chatRoomId, 'open sesame');
    assert.equal(res.status, 200, res.text);
    assert.ok(Array.isArray(res.json));
    assert.equal(await numberOfUser(room.chatRoomId), 2);
  });

  test('connected lists the rooms the caller is in, creator included', async () => {
    const user = await newUser(url, 'conn');
    assert.deepEqual(await connected(user.accessToken), { chatRooms: [], total: 0 });
    const own = await createRoom(url, user.accessToken, `own ${tag()}`);
    await sleep(5);  // timed on purpose: distinct createdAt, so the order has one answer
    const other = await createRoom(url, alice.accessToken, `other ${tag()}`);
    await sleep(5);  // the same
    await createRoom(url, alice.accessToken, `not joined ${tag()}`);
    assert.equal((await joinRoom(url, user.accessToken, other.chatRoomId)).status, 200);

    const page = await connected(user.accessToken);
    assert.equal(page.total, 2);
    assert.deepEqual(page.chatRooms.map((r) => r.chatRoomId).sort(),
                     [own.chatRoomId, other.chatRoomId].sort());
    for (const room of page.chatRooms) assertRoom(room, {});
    const first = await connected(user.accessToken, { limit: 1, offset: 0 });
    const second = await connected(user.accessToken, { limit: 1, offset: 1 });
    assert.equal(first.total, 2);
    assert.equal(first.chatRooms.length + second.chatRooms.length, 2);
    assert.notEqual(first.chatRooms[0].chatRoomId, second.chatRooms[0].chatRoomId);

    assert.equal((await exitRoom(url, user.accessToken, other.chatRoomId)).status, 200);
    const after = await connected(user.accessToken);
    assert.deepEqual(after.chatRooms.map((r) => r.chatRoomId), [own.chatRoomId]);
    assert.equal(after.total, 1);
  });

  test('connected with out-of-range paging: 400', async () => {
    for (const query of [{ limit: 0 }, { limit: 101 }, { offset: -1 }]) {
      const res = await request(url, 'GET', `/chatrooms/connected?${new URLSearchParams(query)}`,
                                { token: bob.accessToken });
      assertError(res, 400, BAD_INPUT);
    }
  });

  test('exit: 200 true; again or never a member: 409 NOT_JOINED; join again works', async () => {
    const room = await createRoom(url, alice.accessToken, `exit ${tag()}`);
    assert.equal((await joinRoom(url, bob.accessToken, room.chatRoomId)).status, 200);
    const res = await exitRoom(url, bob.accessToken, room.chatRoomId);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json, true);
    assert.equal(await numberOfUser(room.chatRoomId), 1);
    assertError(await exitRoom(url, bob.accessToken, room.chatRoomId), 409, 'NOT_JOINED');
    assertError(await exitRoom(url, carol.accessToken, room.chatRoomId), 409, 'NOT_JOINED');
    assert.equal((await joinRoom(url, bob.accessToken, room.chatRoomId)).status, 200);
    assert.equal(await numberOfUser(room.chatRoomId), 2);
  });

  test('the creator exits: the room is closed and nobody can join', async () => {
    const room = await createRoom(url, alice.accessToken, `closing ${tag()}`);
    assert.equal((await joinRoom(url, bob.accessToken, room.chatRoomId)).status, 200);
    const res = await exitRoom(url, alice.accessToken, room.chatRoomId);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json, true);
    const closed = await getRoom(url, bob.accessToken, room.chatRoomId);
    assert.equal(closed.status, 200, closed.text);
    assert.equal(closed.json.closed, true);
    assertError(await joinRoom(url, carol.accessToken, room.chatRoomId), 403, 'ROOM_CLOSED');
    assertError(await joinRoom(url, alice.accessToken, room.chatRoomId), 403, 'ROOM_CLOSED');
  });

  test('a closed private room refuses even the right password: 403 ROOM_CLOSED', async () => {
    const room = await createRoom(url, alice.accessToken, `closing private ${tag()}`, 'pw');
    assert.equal((await exitRoom(url, alice.accessToken, room.chatRoomId)).status, 200);
    assertError(await joinRoom(url, carol.accessToken, room.chatRoomId, 'pw'), 403, 'ROOM_CLOSED');
  });

  test('join or exit an unknown room: 404; a malformed id: 400', async () => {
    assertError(await joinRoom(url, bob.accessToken, crypto.randomUUID()), 404, 'NOT_FOUND');
    assertError(await exitRoom(url, bob.accessToken, crypto.randomUUID()), 404, 'NOT_FOUND');
    assertError(await joinRoom(url, bob.accessToken, 'not-a-uuid'), 400, BAD_INPUT);
    assertError(await exitRoom(url, bob.accessToken, 'not-a-uuid'), 400, BAD_INPUT);
  });
});

describe('authentication', () => {
  test('every room call without a token: 401 UNAUTHORIZED', async () => {
    const room = await createRoom(url, alice.accessToken, `auth ${tag()}`);
    const id = room.chatRoomId;
    for (const [method, path, body] of [
      ['POST', '/chatrooms', { name: 'anonymous' }],
      ['GET', '/chatrooms'],
      ['GET', '/chatrooms/connected'],
      ['GET', `/chatrooms/${id}`],
      ['POST', `/chatrooms/${id}`, {}],
      ['PUT', `/chatrooms/${id}`],
    ]) {
      assertError(await request(url, method, path, { body }), 401, 'UNAUTHORIZED');
      assertError(await request(url, method, path, { body, token: 'garbage' }), 401, 'UNAUTHORIZED');
      assertError(await request(url, method, path, { body, token: bob.refreshToken }), 401, 'UNAUTHORIZED');
    }
    assert.equal(await numberOfUser(id), 1, 'nothing happened');
  });
});
