// The HTTP layer (SPEC sections 2 and 8): health, errors as JSON, size limits, slow and idle
// clients, keep-alive, CORS, and garbage that must never make a 500 or a crash.

import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';

import { startServer } from './lib/server.mjs';
import { assertError, newUser, request } from './lib/api.mjs';
import { RawConnection, rawExchange } from './lib/raw_http.mjs';

const BAD_INPUT = ['VALIDATION_ERROR', 'BAD_REQUEST'];
const KiB = 1024;
// The server's request timeout is about 30 s; a slow or idle client must be gone by this.
const SLOW_CLIENT_LIMIT_MS = 45_000;

let server;
let url;
let user;

before(async () => {
  server = await startServer();
  url = server.url;
  user = await newUser(url);
});

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A request head for a raw socket. */
function head(method, path, headers = {}) {
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1'];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** A JSON body of exactly `size` bytes for /users/signup (short password, padded). */
function paddedSignup(size) {
  const base = JSON.stringify({ userId: 'padded_user', password: 'short', pad: '' });
  const body = base.replace('"pad":""', `"pad":"${'x'.repeat(size - base.length)}"`);
  assert.equal(Buffer.byteLength(body), size);
  return body;
}

/** Status of the response to raw bytes, or 'closed' if the server hung up without one. */
async function rawStatus(data) {
  try {
    return (await rawExchange(server.port, data, { timeoutMs: 10_000 })).status;
  } catch (error) {
    if (/closed/.test(error.message)) return 'closed';
    throw error;
  }
}

async function assertAlive() {
  assert.equal(server.exitInfo, null, 'the server process is still running');
  const res = await request(url, 'GET', '/healthz');
  assert.equal(res.status, 200);
}

describe('operations endpoints', () => {
  test('GET /healthz and GET /readyz: 200', async () => {
    assert.equal((await request(url, 'GET', '/healthz')).status, 200);
    assert.equal((await request(url, 'GET', '/readyz')).status, 200);
  });

  test('an unknown path: 404 NOT_FOUND as JSON', async () => {
    const res = await request(url, 'GET', '/no/such/path');
    assertError(res, 404, 'NOT_FOUND');
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  });

  test('an unsupported method on a known path: 404 or 405 as JSON', async () => {
    const res = await request(url, 'DELETE', '/users/signup');
    assert.ok(res.status === 404 || res.status === 405, `${res.status} ${res.text}`);
    assertError(res, res.status, ['NOT_FOUND', 'METHOD_NOT_ALLOWED']);
  });
});

describe('limits', () => {
  test('a body of 64 KiB is read; one byte more: 413 PAYLOAD_TOO_LARGE', async () => {
    const atLimit = paddedSignup(64 * KiB);
    const ok = await rawExchange(server.port, head('POST', '/users/signup', {
      'Content-Type': 'application/json', 'Content-Length': 64 * KiB,
    }) + atLimit);
    assert.ok(ok.status !== 413 && ok.status < 500, `64 KiB body: ${ok.status} ${ok.text}`);

    const over = paddedSignup(64 * KiB + 1);
    const res = await rawExchange(server.port, head('POST', '/users/signup', {
      'Content-Type': 'application/json', 'Content-Length': 64 * KiB + 1,
    }) + over);
    assert.equal(res.status, 413, res.text);
    assert.equal(JSON.parse(res.text).code, 'PAYLOAD_TOO_LARGE');
  });

  test('a 200 KiB body through fetch: 413 PAYLOAD_TOO_LARGE or a reset', async () => {
    const res = await request(url, 'POST', '/chatrooms', {
      raw: paddedSignup(200 * KiB), token: user.accessToken,
    }).catch((error) => ({ error }));
    // The server may stop reading and close once it has answered; fetch then sees a reset.
    if (!res.error) assertError(res, 413, 'PAYLOAD_TOO_LARGE');
  });

  test('a chunked body over 64 KiB: 413', async () => {
    const body = paddedSignup(80 * KiB);
    let chunked = '';
    for (let i = 0; i < body.length; i += 8 * KiB) {
      const piece = body.slice(i, i + 8 * KiB);
      chunked += `${piece.length.toString(16)}\r\n${piece}\r\n`;
    }
    chunked += '0\r\n\r\n';
    const res = await rawExchange(server.port, head('POST', '/users/signup', {
      'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked',
    }) + chunked);
    assert.equal(res.status, 413, res.text);
  });

  test('headers under 16 KiB are fine; over 16 KiB: 431', async () => {
    const fine = await rawExchange(server.port, head('GET', '/healthz', { 'X-Padding': 'p'.repeat(15 * KiB) }));
    assert.equal(fine.status, 200);
    const res = await rawExchange(server.port, head('GET', '/healthz', { 'X-Padding': 'p'.repeat(17 * KiB) }));
    assert.equal(res.status, 431, res.text);
  });

  test('many headers adding up to over 16 KiB: 431', async () => {
    const headers = {};
    for (let i = 0; i < 200; i += 1) headers[`X-Header-${i}`] = 'v'.repeat(100);
    const res = await rawExchange(server.port, head('GET', '/healthz', headers));
    assert.equal(res.status, 431, res.text);
  });
});

describe('connections', () => {
  test('keep-alive: several requests on one connection', async () => {
    const connection = await RawConnection.open(server.port);
    try {
      for (const path of ['/healthz', '/readyz', '/healthz']) {
        await connection.write(head('GET', path));
        const res = await connection.readResponse();
        assert.equal(res.status, 200, `${path} on a reused connection`);
        assert.ok(connection.isOpen, 'the server keeps the connection open');
      }
      await connection.write(head('GET', '/users/me', { Authorization: `Bearer ${user.accessToken}` }));
      const mine = await connection.readResponse();
      assert.equal(mine.status, 200);
      assert.equal(JSON.parse(mine.text).userId, user.userId);
    } finally {
      connection.destroy();
    }
  });

  test('pipelined requests are answered in order', async () => {
    const connection = await RawConnection.open(server.port);
    try {
      await connection.write(head('GET', '/healthz') + head('GET', '/no/such/path') + head('GET', '/readyz'));
      const statuses = [];
      for (let i = 0; i < 3; i += 1) statuses.push((await connection.readResponse()).status);
      assert.deepEqual(statuses, [200, 404, 200]);
    } finally {
      connection.destroy();
    }
  });

  test('slow, idle and half-sent clients are disconnected and hold up nobody', async () => {
    const slow = [];
    const timers = [];
    try {
      // Slowloris: a request head that grows by one byte every 2 s and never ends.
      for (let i = 0; i < 8; i += 1) {
        const connection = await RawConnection.open(server.port);
        await connection.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
        timers.push(setInterval(() => { if (connection.isOpen) connection.write('a'); }, 2000));
        slow.push(['slowloris', connection]);
      }
      // Connected, sent nothing.
      for (let i = 0; i < 2; i += 1) slow.push(['idle', await RawConnection.open(server.port)]);
      // A body promised and never finished.
      const halfBody = await RawConnection.open(server.port);
      await halfBody.write(head('POST', '/users/signup', {
        'Content-Type': 'application/json', 'Content-Length': 100,
      }) + '{"userId":');
      slow.push(['half-sent body', halfBody]);
      // One finished request, then silence on a keep-alive connection.
      const kept = await RawConnection.open(server.port);
      await kept.write(head('GET', '/healthz'));
      assert.equal((await kept.readResponse()).status, 200);
      slow.push(['idle keep-alive', kept]);

      // With all of them held, the server still answers others at once. Timed on purpose: the
      // clients must have been held for a while (the slowloris has sent a byte) before the check.
      await sleep(3000);
      for (let i = 0; i < 5; i += 1) {
        const started = performance.now();
        const res = await request(url, 'GET', '/healthz');
        assert.equal(res.status, 200);
        assert.ok(performance.now() - started < 2000, 'healthz answered while slow clients are held');
      }
      assert.equal((await request(url, 'GET', '/users/me', { token: user.accessToken })).status, 200);

      for (const [kind, connection] of slow) {
        const left = connection.openedAt + SLOW_CLIENT_LIMIT_MS - performance.now();
        const closed = await connection.waitClosed(Math.max(0, left));
        assert.ok(closed, `a ${kind} connection was still open after ${SLOW_CLIENT_LIMIT_MS} ms`);
      }
    } finally {
      for (const timer of timers) clearInterval(timer);
      for (const [, connection] of slow) connection.destroy();
    }
    await assertAlive();
  });
});

describe('CORS', () => {
  const origin = 'http://chat.example.com';

  function assertAllowsOrigin(res) {
    const allowed = res.headers.get('access-control-allow-origin');
    assert.ok(allowed === '*' || allowed === origin,
              `Access-Control-Allow-Origin is ${allowed} on a ${res.status}`);
  }

  test('responses to a request with Origin carry Access-Control-Allow-Origin', async () => {
    assertAllowsOrigin(await request(url, 'GET', '/healthz', { headers: { origin } }));
    const mine = await request(url, 'GET', '/users/me', { token: user.accessToken, headers: { origin } });
    assert.equal(mine.status, 200);
    assertAllowsOrigin(mine);
    // Errors too, or a browser client cannot read them.
    const denied = await request(url, 'GET', '/chatrooms', { headers: { origin } });
    assert.equal(denied.status, 401);
    assertAllowsOrigin(denied);
  });

  test('a preflight: 204 with the methods and headers the API uses', async () => {
    for (const [path, method] of [['/chatrooms', 'POST'], ['/users/signup', 'POST'],
                                  ['/chatrooms/00000000-0000-4000-8000-000000000000', 'PUT']]) {
      const res = await request(url, 'OPTIONS', path, {
        headers: {
          origin,
          'access-control-request-method': method,
          'access-control-request-headers': 'authorization, content-type',
        },
      });
      assert.equal(res.status, 204, `preflight of ${method} ${path}: ${res.status} ${res.text}`);
      assertAllowsOrigin(res);
      const methods = (res.headers.get('access-control-allow-methods') ?? '').toUpperCase();
      assert.ok(methods === '*' || methods.split(/\s*,\s*/).includes(method), `allow-methods: ${methods}`);
      // Fetch never lets "*" stand for Authorization: it must be named.
      const allowedHeaders = (res.headers.get('access-control-allow-headers') ?? '').toLowerCase()
        .split(/\s*,\s*/);
      assert.ok(allowedHeaders.includes('authorization'), `allow-headers: ${allowedHeaders}`);
      assert.ok(allowedHeaders.includes('content-type') || allowedHeaders.includes('*'),
                `allow-headers: ${allowedHeaders}`);
    }
  });
});

describe('garbage never makes a 500', () => {
  test('malformed JSON on every JSON endpoint: 400', async () => {
    for (const [path, token] of [['/users/signup'], ['/users/signin'], ['/users/refresh'],
                                 ['/chatrooms', user.accessToken]]) {
      for (const raw of ['{', '{"a":}', 'nul', '{"name":"x",}', "{'name':'x'}", '\u0000']) {
        const res = await request(url, 'POST', path, { raw, token });
        assertError(res, 400, BAD_INPUT);
      }
    }
  });

  test('JSON sent as text/plain is not a server error', async () => {
    const res = await request(url, 'POST', '/chatrooms', {
      raw: JSON.stringify({ name: 'typed as text' }), token: user.accessToken,
      headers: { 'content-type': 'text/plain' },
    });
    assert.ok(res.status < 500, `${res.status} ${res.text}`);
    if (res.status >= 400) assertError(res, res.status, ['BAD_REQUEST', 'UNSUPPORTED_MEDIA_TYPE']);
  });

  test('invalid UTF-8 inside a JSON string: 400', async () => {
    const invalid = (prefix, suffix) => Buffer.concat([Buffer.from(prefix), Buffer.from([0xff, 0xfe, 0xc3]),
                                                       Buffer.from(suffix)]);
    assertError(await request(url, 'POST', '/users/signup', {
      raw: invalid('{"userId":"bad', '","password":"long enough password"}'),
    }), 400, BAD_INPUT);
    assertError(await request(url, 'POST', '/chatrooms', {
      raw: invalid('{"name":"bad', '"}'), token: user.accessToken,
    }), 400, BAD_INPUT);
  });

  test('a lone surrogate escape is not a server error', async () => {
    const res = await request(url, 'POST', '/chatrooms', {
      raw: '{"name":"half \\ud800 a pair"}', token: user.accessToken,
    });
    assert.ok(res.status === 201 || res.status === 400, `${res.status} ${res.text}`);
  });

  test('JSON nested 10,000 deep: 400, and the server lives', async () => {
    const depth = 10_000;
    for (const [path, raw] of [
      ['/users/signup', '['.repeat(depth) + ']'.repeat(depth)],
      ['/users/signin', '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)],
      ['/chatrooms', `{"name":"deep","password":${'['.repeat(depth)}${']'.repeat(depth)}}`],
    ]) {
      assertError(await request(url, 'POST', path, { raw, token: user.accessToken }), 400, BAD_INPUT);
    }
    await assertAlive();
  });

  test('huge number literals: 400 where a string is due, never a 500', async () => {
    for (const raw of ['{"userId":1e999999,"password":"long enough password"}',
                       `{"userId":${'9'.repeat(5000)},"password":"long enough password"}`,
                       '{"userId":-1e-999999,"password":"long enough password"}']) {
      assertError(await request(url, 'POST', '/users/signup', { raw }), 400, BAD_INPUT);
    }
    const extra = await request(url, 'POST', '/chatrooms', {
      raw: `{"name":"big number beside","n":${'1'.repeat(5000)}e99999}`, token: user.accessToken,
    });
    assert.ok(extra.status === 201 || extra.status === 400, `${extra.status} ${extra.text}`);
    await assertAlive();
  });

  test('broken HTTP is refused without a 500', async () => {
    for (const data of [
      'GARBAGE\r\n\r\n',
      'GET\r\n\r\n',
      'GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n',
      'GET /%00%ff HTTP/1.1\r\nHost: x\r\n\r\n',
      'GET /chatrooms/%2e%2e%2fusers HTTP/1.1\r\nHost: x\r\n\r\n',
      'POST /users/signup HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n',
      'POST /users/signup HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n',
      'POST /users/signup HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n',
      'POST /users/signup HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      'GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header Name: v\r\n\r\n',
      '\u0000\u0001\u0002\r\n\r\n',
    ]) {
      const status = await rawStatus(data);
      // 505 HTTP Version Not Supported is the one 5xx that is the client's doing.
      assert.ok(status === 'closed' || status < 500 || status === 505, `${JSON.stringify(data)} → ${status}`);
    }
    await assertAlive();
  });
});
