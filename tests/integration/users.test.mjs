// Users and tokens (SPEC sections 2 and 3): sign-up validation, sign-in, /users/me,
// refresh-token rotation and the JWTs themselves, checked with a standard library (jose).

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { before, describe, test } from 'node:test';
import { SignJWT, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';

import { startServer } from './lib/server.mjs';
import {
  PASSWORD, TIMESTAMP, assertError, newUser, request, signIn, signUp, uniqueUserId,
} from './lib/api.mjs';

const BAD_INPUT = ['VALIDATION_ERROR', 'BAD_REQUEST'];

let server;
let url;

before(async () => {
  server = await startServer();
  url = server.url;
});

const me = (token, headers) => request(url, 'GET', '/users/me', { token, headers });
const refresh = (refreshToken) => request(url, 'POST', '/users/refresh', { body: { refreshToken } });
const base64url = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('sign-up', () => {
  test('a new user is created: 201', async () => {
    const res = await signUp(url, uniqueUserId());
    assert.equal(res.status, 201, res.text);
  });

  test('the same userId twice: 409 USER_EXISTS', async () => {
    const userId = uniqueUserId();
    assert.equal((await signUp(url, userId)).status, 201);
    assertError(await signUp(url, userId, 'another password'), 409, 'USER_EXISTS');
  });

  test('userId of 3 and of 32 characters from A-Za-z0-9_.- is accepted', async () => {
    const suffix = crypto.randomBytes(2).toString('hex');
    const three = `${suffix.slice(0, 2)}${'_.-'[crypto.randomInt(3)]}`;
    const thirtyTwo = `Az09_.-${suffix}`.padEnd(32, 'x');
    for (const userId of [three, thirtyTwo]) {
      const res = await signUp(url, userId);
      assert.equal(res.status, 201, `${userId}: ${res.text}`);
    }
  });

  for (const [why, userId] of [
    ['too short (2)', 'ab'],
    ['too long (33)', 'a'.repeat(33)],
    ['empty', ''],
    ['a space', 'bad id'],
    ['a slash', 'bad/id'],
    ['an @', 'user@host'],
    ['a non-ASCII letter', 'jos\u00e9'],
    ['a NUL byte', 'abc\u0000def'],
  ]) {
    test(`userId with ${why}: 400 VALIDATION_ERROR`, async () => {
      assertError(await signUp(url, userId), 400, 'VALIDATION_ERROR');
    });
  }

  test('password length counts bytes: 8 and 128 bytes accepted', async () => {
    for (const password of ['12345678', 'p'.repeat(128), '\u00e9'.repeat(4), '\u00e9'.repeat(64)]) {
      const res = await signUp(url, uniqueUserId(), password);
      assert.equal(res.status, 201, `password of ${Buffer.byteLength(password)} bytes: ${res.text}`);
    }
  });

  for (const [why, password] of [
    ['7 bytes', '1234567'],
    ['129 bytes', 'p'.repeat(129)],
    ['65 two-byte characters (130 bytes)', '\u00e9'.repeat(65)],
    ['empty', ''],
  ]) {
    test(`password of ${why}: 400 VALIDATION_ERROR`, async () => {
      assertError(await signUp(url, uniqueUserId(), password), 400, 'VALIDATION_ERROR');
    });
  }

  const validId = () => uniqueUserId();
  for (const [why, makeBody] of [
    ['missing userId', () => ({ password: PASSWORD })],
    ['missing password', () => ({ userId: validId() })],
    ['an empty object', () => ({})],
    ['userId a number', () => ({ userId: 12345, password: PASSWORD })],
    ['userId null', () => ({ userId: null, password: PASSWORD })],
    ['userId an array', () => ({ userId: [validId()], password: PASSWORD })],
    ['userId an object', () => ({ userId: { id: validId() }, password: PASSWORD })],
    ['password a number', () => ({ userId: validId(), password: 123456789 })],
    ['password null', () => ({ userId: validId(), password: null })],
    ['password an array', () => ({ userId: validId(), password: [PASSWORD] })],
    ['password a boolean', () => ({ userId: validId(), password: true })],
  ]) {
    test(`body with ${why}: 400`, async () => {
      const res = await request(url, 'POST', '/users/signup', { body: makeBody() });
      assertError(res, 400, BAD_INPUT);
    });
  }

  for (const [why, raw] of [
    ['malformed JSON', '{"userId": "abcdef", "password": '],
    ['trailing garbage', `{"userId":"${uniqueUserId()}","password":"${PASSWORD}"} x`],
    ['an empty body', ''],
    ['a JSON array', `["${uniqueUserId()}", "${PASSWORD}"]`],
    ['a JSON string', '"hello"'],
    ['a JSON number', '42'],
    ['JSON null', 'null'],
  ]) {
    test(`${why} as the body: 400`, async () => {
      assertError(await request(url, 'POST', '/users/signup', { raw }), 400, BAD_INPUT);
    });
  }
});

describe('sign-in', () => {
  test('right password: 200 with an access and a refresh token', async () => {
    const userId = uniqueUserId();
    assert.equal((await signUp(url, userId)).status, 201);
    const res = await signIn(url, userId);
    assert.equal(res.status, 200, res.text);
    for (const name of ['accessToken', 'refreshToken']) {
      assert.equal(typeof res.json[name], 'string', `${name} missing: ${res.text}`);
      assert.match(res.json[name], /^[\w-]+\.[\w-]+\.[\w-]+$/, `${name} is not a JWS compact token`);
    }
    assert.notEqual(res.json.accessToken, res.json.refreshToken);
  });

  test('unknown user and wrong password: the same 401 INVALID_CREDENTIALS', async () => {
    const userId = uniqueUserId();
    assert.equal((await signUp(url, userId)).status, 201);
    const wrongPassword = await signIn(url, userId, 'not the password');
    const unknownUser = await signIn(url, uniqueUserId('nobody'), PASSWORD);
    assertError(wrongPassword, 401, 'INVALID_CREDENTIALS');
    assertError(unknownUser, 401, 'INVALID_CREDENTIALS');
    assert.deepEqual(unknownUser.json, wrongPassword.json, 'the two refusals must not be told apart');
  });

  test('a missing field or malformed JSON: 400', async () => {
    assertError(await request(url, 'POST', '/users/signin', { body: {} }), 400, BAD_INPUT);
    assertError(await request(url, 'POST', '/users/signin', { body: { userId: 'abcdef' } }),
                400, BAD_INPUT);
    assertError(await request(url, 'POST', '/users/signin', { raw: '{"userId":' }), 400, BAD_INPUT);
  });
});

describe('/users/me', () => {
  test('with an access token: 200 {userId, createdAt}', async () => {
    const before = Date.now();
    const user = await newUser(url);
    const res = await me(user.accessToken);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(Object.keys(res.json).sort(), ['createdAt', 'userId']);
    assert.equal(res.json.userId, user.userId);
    assert.match(res.json.createdAt, TIMESTAMP);
    const created = Date.parse(res.json.createdAt);
    assert.ok(created >= before - 2000 && created <= Date.now() + 2000,
              `createdAt ${res.json.createdAt} is not the time of the sign-up`);
  });

  test('without a token, with garbage or another scheme: 401 UNAUTHORIZED', async () => {
    const user = await newUser(url);
    assertError(await me(), 401, 'UNAUTHORIZED');
    assertError(await me('garbage'), 401, 'UNAUTHORIZED');
    assertError(await me('a.b.c'), 401, 'UNAUTHORIZED');
    assertError(await me(''), 401, 'UNAUTHORIZED');
    assertError(await me(undefined, { authorization: `Basic ${user.accessToken}` }), 401, 'UNAUTHORIZED');
  });

  test('a refresh token is not an access token: 401', async () => {
    const user = await newUser(url);
    assertError(await me(user.refreshToken), 401, 'UNAUTHORIZED');
  });
});

describe('refresh', () => {
  test('gives a new pair; the old refresh token is then spent', async () => {
    const user = await newUser(url);
    const first = await refresh(user.refreshToken);
    assert.equal(first.status, 200, first.text);
    assert.equal(typeof first.json.accessToken, 'string');
    assert.equal(typeof first.json.refreshToken, 'string');
    assert.notEqual(first.json.refreshToken, user.refreshToken, 'the new refresh token must differ');
    const mine = await me(first.json.accessToken);
    assert.equal(mine.status, 200, mine.text);
    assert.equal(mine.json.userId, user.userId);

    const second = await refresh(first.json.refreshToken);
    assert.equal(second.status, 200, `the new refresh token works once: ${second.text}`);
    assertError(await refresh(first.json.refreshToken), 401, 'UNAUTHORIZED');
  });

  test('a spent refresh token presented again revokes every refresh token of its sign-in', async () => {
    const user = await newUser(url);
    const other = await signIn(url, user.userId);  // a second sign-in: another family
    assert.equal(other.status, 200, other.text);
    const first = await refresh(user.refreshToken);
    assert.equal(first.status, 200, first.text);
    const second = await refresh(first.json.refreshToken);
    assert.equal(second.status, 200, second.text);

    // The thief replays the first token: refused, and the chain the owner holds dies with it.
    assertError(await refresh(user.refreshToken), 401, 'UNAUTHORIZED');
    assertError(await refresh(second.json.refreshToken), 401, 'UNAUTHORIZED');
    // Access tokens already issued run out on their own (SPEC 3).
    assert.equal((await me(second.json.accessToken)).status, 200);
    // The other sign-in's family is untouched, and a new sign-in gets a working pair.
    assert.equal((await refresh(other.json.refreshToken)).status, 200);
    const again = await signIn(url, user.userId);
    assert.equal((await refresh(again.json.refreshToken)).status, 200);
  });

  test('the loser of a race revokes the winner\'s new refresh token', async () => {
    const user = await newUser(url);
    const results = await Promise.all([refresh(user.refreshToken), refresh(user.refreshToken)]);
    const winner = results.find((r) => r.status === 200);
    assert.ok(winner, results.map((r) => r.text).join(' / '));
    assertError(await refresh(winner.json.refreshToken), 401, 'UNAUTHORIZED');
  });

  test('a refresh token raced twice is accepted once', async () => {
    const user = await newUser(url);
    const results = await Promise.all([refresh(user.refreshToken), refresh(user.refreshToken)]);
    const statuses = results.map((r) => r.status).sort();
    assert.deepEqual(statuses, [200, 401], `statuses ${statuses}`);
  });

  test('an access token, garbage or a missing field: refused', async () => {
    const user = await newUser(url);
    assertError(await refresh(user.accessToken), 401, 'UNAUTHORIZED');
    assertError(await refresh('garbage'), 401, 'UNAUTHORIZED');
    assertError(await request(url, 'POST', '/users/refresh', { body: {} }), 400, BAD_INPUT);
    assertError(await request(url, 'POST', '/users/refresh', { body: { refreshToken: 42 } }),
                400, BAD_INPUT);
  });
});

describe('JWT', () => {
  const key = () => new TextEncoder().encode(server.jwtSecret);

  test('tokens are HS256 JWTs a standard library verifies, with sub, iat, exp, typ', async () => {
    const user = await newUser(url);
    const access = await jwtVerify(user.accessToken, key(), { algorithms: ['HS256'] });
    assert.equal(access.protectedHeader.alg, 'HS256');
    assert.equal(access.payload.sub, user.userId);
    assert.equal(access.payload.typ, 'access');
    assert.ok(Number.isInteger(access.payload.iat) && Number.isInteger(access.payload.exp));
    assert.ok(Math.abs(access.payload.iat - Date.now() / 1000) < 60, 'iat is now');
    assert.equal(access.payload.exp - access.payload.iat, 7200, 'default ACCESS_TOKEN_TTL_S');

    const refreshed = await jwtVerify(user.refreshToken, key(), { algorithms: ['HS256'] });
    assert.equal(refreshed.payload.sub, user.userId);
    assert.equal(refreshed.payload.typ, 'refresh');
    assert.equal(refreshed.payload.exp - refreshed.payload.iat, 604800, 'default REFRESH_TOKEN_TTL_S');
  });

  test('forged tokens are refused, a faithful re-signing is not', async () => {
    const user = await newUser(url);
    const claims = decodeJwt(user.accessToken);
    const header = decodeProtectedHeader(user.accessToken);

    // Control: the same claims signed again with the right key and algorithm are good,
    // so each refusal below is for the one thing that differs.
    const resigned = await new SignJWT(claims).setProtectedHeader(header).sign(key());
    assert.equal((await me(resigned)).status, 200, 'a correctly signed HS256 token is accepted');

    const otherKey = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .sign(crypto.randomBytes(32));
    assertError(await me(otherKey), 401, 'UNAUTHORIZED');

    const hs512 = await new SignJWT(claims).setProtectedHeader({ alg: 'HS512', typ: 'JWT' })
      .sign(key());
    assertError(await me(hs512), 401, 'UNAUTHORIZED');

    const unsigned = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claims)}.`;
    assertError(await me(unsigned), 401, 'UNAUTHORIZED');
    const unsignedNone = `${base64url({ alg: 'None', typ: 'JWT' })}.${base64url(claims)}.`;
    assertError(await me(unsignedNone), 401, 'UNAUTHORIZED');

    // The real signature over a payload naming someone else.
    const [head, , signature] = user.accessToken.split('.');
    const tampered = `${head}.${base64url({ ...claims, sub: 'someone_else' })}.${signature}`;
    assertError(await me(tampered), 401, 'UNAUTHORIZED');

    const noTyp = { ...claims };
    delete noTyp.typ;
    const untyped = await new SignJWT(noTyp).setProtectedHeader(header).sign(key());
    assertError(await me(untyped), 401, 'UNAUTHORIZED');

    const past = await new SignJWT({ ...claims, exp: Math.floor(Date.now() / 1000) - 10 })
      .setProtectedHeader(header).sign(key());
    assertError(await me(past), 401, 'UNAUTHORIZED');
  });

  test('a forged refresh token is refused', async () => {
    const user = await newUser(url);
    const claims = decodeJwt(user.refreshToken);
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .sign(crypto.randomBytes(32));
    assertError(await refresh(forged), 401, 'UNAUTHORIZED');
    const unsigned = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claims)}.`;
    assertError(await refresh(unsigned), 401, 'UNAUTHORIZED');
  });
});

describe('token lifetimes', () => {
  test('expired access and refresh tokens: 401', async () => {
    const short = await startServer({ env: { ACCESS_TOKEN_TTL_S: 2, REFRESH_TOKEN_TTL_S: 2 } });
    const user = await newUser(short.url);
    const access = decodeJwt(user.accessToken);
    assert.equal(access.exp - access.iat, 2, 'ACCESS_TOKEN_TTL_S is honoured');
    const fresh = await request(short.url, 'GET', '/users/me', { token: user.accessToken });
    assert.equal(fresh.status, 200, `before it expires: ${fresh.text}`);

    // Past exp by a clear second, so that no rounding makes it borderline. Timed on purpose:
    // the expiry with time is what is tested.
    const waitMs = (access.exp + 1) * 1000 - Date.now() + 500;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, waitMs)));
    assertError(await request(short.url, 'GET', '/users/me', { token: user.accessToken }),
                401, 'UNAUTHORIZED');
    assertError(await request(short.url, 'POST', '/users/refresh',
                              { body: { refreshToken: user.refreshToken } }),
                401, 'UNAUTHORIZED');
  });
});

describe('JWT_SECRET=base64:…', () => {
  test('the decoded bytes are the key', async () => {
    // Bytes that are not valid UTF-8, so that "the text as written" cannot pass by accident.
    const keyBytes = Buffer.concat([Buffer.from([0xff, 0x00, 0xfe, 0x80]), crypto.randomBytes(28)]);
    const secret = `base64:${keyBytes.toString('base64')}`;
    const b64 = await startServer({ jwtSecret: secret });
    const user = await newUser(b64.url);
    const { payload } = await jwtVerify(user.accessToken, keyBytes, { algorithms: ['HS256'] });
    assert.equal(payload.sub, user.userId);
    await assert.rejects(jwtVerify(user.accessToken, new TextEncoder().encode(secret)),
                         'the key is not the text "base64:…"');
    const res = await request(b64.url, 'GET', '/users/me', { token: user.accessToken });
    assert.equal(res.status, 200, res.text);
  });
});
