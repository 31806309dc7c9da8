// Rights that must not outlive themselves, and acknowledgements that must outlive a kill -9
// (issue 11): a STOMP connection past its token's exp (SPEC 5.1), a STOMP RECEIPT and a tenant
// 202 surviving kill -9 (SPEC 5), password hashing on its own bounded queue (SPEC 3), and an
// access_token in a URL never reaching the log.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { describe, test } from 'node:test';
import { spawn } from 'node:child_process';
import { decodeJwt } from 'jose';

import { startServer } from './lib/server.mjs';
import { createRoom, joinRoom, newUser, request } from './lib/api.mjs';
import { RawStomp, sleep } from './lib/clients.mjs';
import { fullHistory, postMessage } from './lib/messages.mjs';
import { fullSessionHistory, publishOk } from './lib/sessions.mjs';

const NO_LIMIT = { RATE_LIMIT_PER_S: 100000, RATE_LIMIT_BURST: 100000 };
const KEY = 'tenant-key-for-auth-hardening';

const bearer = (token) => ({ Authorization: `Bearer ${token}` });

/** A raw STOMP connection CONNECTed with `token`. */
async function stompWith(server, token) {
  const raw = await RawStomp.open(server.url, ['v12.stomp']);
  await raw.connect(bearer(token));
  return raw;
}

/** Waits until the wall clock has passed the `exp` of `token` (the one legitimate timed wait). */
async function waitForExpiry(token) {
  const expiresAtMs = decodeJwt(token).exp * 1000;
  // The server refuses from the instant exp is reached; a few ms of margin for clock reads.
  const wait = expiresAtMs - Date.now() + 20;
  if (wait > 0) await sleep(wait);
}

describe('STOMP after the access token expired (SPEC 5.1)', () => {
  test('existing subscriptions keep delivering; SEND and SUBSCRIBE get ERROR "token expired"', async () => {
    const server = await startServer({ env: { ...NO_LIMIT, ACCESS_TOKEN_TTL_S: 8 } });
    try {
      const alice = await newUser(server.url, 'alice');
      const room = await createRoom(server.url, alice.accessToken, 'expiring');
      const roomId = room.chatRoomId;

      const subscriber = await stompWith(server, alice.accessToken);
      const sender = await stompWith(server, alice.accessToken);
      const late = await stompWith(server, alice.accessToken);
      await subscriber.send('SUBSCRIBE', { id: 'sub-0', destination: `/chat/${roomId}`, receipt: 'sub' });
      await subscriber.waitForReceipt('sub');
      // Before exp everything works.
      await sender.send('SEND', { destination: `/queue/message/${roomId}`, receipt: 'before' },
                        JSON.stringify({ contents: 'before exp' }));
      await sender.waitForReceipt('before');

      await waitForExpiry(alice.accessToken);

      // A fresh sign-in posts over REST: the expired connection's subscription still delivers.
      const fresh = await request(server.url, 'POST', '/users/signin',
                                  { body: { userId: alice.userId, password: alice.password } });
      assert.equal(fresh.status, 200, fresh.text);
      const posted = await postMessage(server.url, fresh.json.accessToken, roomId, 'after exp');
      assert.equal(posted.status, 201, posted.text);
      const delivered = await subscriber.waitForFrame(
        (f) => f.command === 'MESSAGE' && JSON.parse(f.body).contents === 'after exp', 5000, 'the live message');
      assert.equal(JSON.parse(delivered.body).id, 2);

      await sender.send('SEND', { destination: `/queue/message/${roomId}`, receipt: 'after' },
                        JSON.stringify({ contents: 'must not be kept' }));
      const sendError = await sender.waitForFrame((f) => f.command === 'ERROR', 5000, 'ERROR');
      assert.match(sendError.headers.message, /token expired/);
      assert.equal(sendError.headers['receipt-id'], 'after');
      assert.ok(await sender.waitClosed(3000), 'the connection closes after ERROR');

      await late.send('SUBSCRIBE', { id: 'sub-1', destination: `/chat/${roomId}`, receipt: 'late' });
      const subscribeError = await late.waitForFrame((f) => f.command === 'ERROR', 5000, 'ERROR');
      assert.match(subscribeError.headers.message, /token expired/);
      assert.ok(await late.waitClosed(3000), 'the connection closes after ERROR');

      const history = await fullHistory(server.url, fresh.json.accessToken, roomId);
      assert.deepEqual(history.map((m) => m.contents), ['before exp', 'after exp']);
      subscriber.close();
    } finally {
      await server.stop();
    }
  });
});

describe('kill -9 right after an acknowledgement (SPEC 5: acknowledged means kept)', () => {
  test('a message whose STOMP RECEIPT arrived is in history and replayed after restart', async () => {
    const first = await startServer({ env: NO_LIMIT });
    const alice = await newUser(first.url, 'alice');
    const bob = await newUser(first.url, 'bob');
    const room = await createRoom(first.url, alice.accessToken, 'durable stomp');
    assert.equal((await joinRoom(first.url, bob.accessToken, room.chatRoomId)).status, 200);
    const stomp = await stompWith(first, alice.accessToken);
    const count = 20;
    for (let n = 1; n < count; n += 1) {
      await stomp.send('SEND', { destination: `/queue/message/${room.chatRoomId}` },
                       JSON.stringify({ contents: `unreceipted ${n}` }));
    }
    await stomp.send('SEND', { destination: `/queue/message/${room.chatRoomId}`, receipt: 'last' },
                     JSON.stringify({ contents: 'receipted' }));
    await stomp.waitForReceipt('last');
    // The RECEIPT of the last frame also covers the ones before it: frames of one connection are
    // handled in order, and each is kept before the next is read.
    await first.kill9();

    const second = await startServer({
      env: NO_LIMIT, dataDir: first.dataDir, jwtSecret: first.jwtSecret, port: first.port,
    });
    try {
      const history = await fullHistory(second.url, bob.accessToken, room.chatRoomId);
      const last = history.find((m) => m.contents === 'receipted');
      assert.ok(last, `the receipted message survives: ${history.map((m) => m.contents)}`);
      assert.equal(last.id, count);
      const replay = await stompWith(second, bob.accessToken);
      await replay.send('SUBSCRIBE', {
        id: 'sub-0', destination: `/chat/${room.chatRoomId}`, 'x-since-id': String(count - 1),
      });
      const frame = await replay.waitForFrame((f) => f.command === 'MESSAGE', 5000, 'the replay');
      assert.equal(JSON.parse(frame.body).contents, 'receipted');
      replay.close();
    } finally {
      await second.stop();
    }
  });

  test('a tenant message answered 202 is in the session history after restart', async () => {
    const env = { ...NO_LIMIT, LIVECHAT_API_KEY: KEY };
    const first = await startServer({ env });
    const sessionId = crypto.randomUUID();
    const ids = await publishOk(first.url, KEY, sessionId,
                                [{ sender: 'host', contents: 'one' }, { sender: 'host', contents: 'two' }]);
    assert.deepEqual(ids, [1, 2]);
    await first.kill9();

    const second = await startServer({ env, dataDir: first.dataDir, jwtSecret: first.jwtSecret });
    try {
      const history = await fullSessionHistory(second.url, KEY, sessionId);
      assert.deepEqual(history.map((m) => [m.id, m.contents]), [[1, 'one'], [2, 'two']]);
      assert.deepEqual(await publishOk(second.url, KEY, sessionId, { sender: 'host', contents: 'three' }), [3],
                       'ids go on from the kept ones');
    } finally {
      await second.stop();
    }
  });
});

const FLOODERS = 48;
const SENDS = 300;

/**
 * FLOODERS clients posting sign-ins of unknown users back to back, in a process of their own at
 * a lower priority (nice 10), so that on a small machine the flooders' own CPU does not delay
 * the publisher measured here: what is measured is what the server does under the flood.
 * stop() resolves to {status: count}.
 */
function startSignInFlood(url) {
  const code = `
    let running = true;
    const counts = {};
    process.stdin.on('data', () => { running = false; });
    const loops = Array.from({ length: ${FLOODERS} }, async (_, client) => {
      for (let n = 0; running; n += 1) {
        try {
          const res = await fetch(${JSON.stringify(url)} + '/users/signin', {
            method: 'POST', headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ userId: 'nobody-' + client + '-' + n, password: 'not the password' }),
          });
          await res.arrayBuffer();
          counts[res.status] = (counts[res.status] ?? 0) + 1;
          if (res.status === 429) {
            if (res.headers.get('retry-after') !== '1') counts.badRetryAfter = (counts.badRetryAfter ?? 0) + 1;
            if (counts[429] === 1) process.stdout.write(JSON.stringify({ full: true }) + '\\n');
          }
        } catch {
          counts.failed = (counts.failed ?? 0) + 1;
        }
      }
    });
    Promise.all(loops).then(() => { process.stdout.write(JSON.stringify({ counts }) + '\\n'); process.exit(0); });
  `;
  const child = spawn('nice', ['-n', '10', process.execPath, '-e', code], { stdio: ['pipe', 'pipe', 'inherit'] });
  let full;
  const queueFull = new Promise((resolve) => { full = resolve; });
  let buffered = '';
  const done = new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      buffered += chunk;
      for (let end = buffered.indexOf('\n'); end >= 0; end = buffered.indexOf('\n')) {
        const message = JSON.parse(buffered.slice(0, end));
        buffered = buffered.slice(end + 1);
        if (message.full) full(); else resolve(message.counts);
      }
    });
    child.once('error', reject);
    child.once('exit', (status) => { if (status !== 0) reject(new Error(`the flood exited with ${status}`)); });
  });
  return {
    /** Resolves once the server has answered a sign-in with 429: its queue is full. */
    queueFull,
    async stop() {
      child.stdin.write('stop');
      return done;
    },
  };
}

/** Sends SENDS messages one after another; resolves to the sorted acknowledgement times (ms). */
async function timedSends(url, token, roomId, label) {
  const times = [];
  for (let n = 0; n < SENDS; n += 1) {
    const start = performance.now();
    const res = await postMessage(url, token, roomId, `${label} ${n}`);
    times.push(performance.now() - start);
    assert.equal(res.status, 201, res.text);
  }
  return times.sort((a, b) => a - b);
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * p) - 1)];

describe('password hashing has its own bounded queue (SPEC 3)', () => {
  test(`with ${FLOODERS} clients flooding sign-in, a send's acknowledgement p99 stays under 50 ms`, async () => {
    const server = await startServer({ env: NO_LIMIT });
    try {
      const alice = await newUser(server.url, 'alice');
      const room = await createRoom(server.url, alice.accessToken, 'while flooded');
      // The floor: this machine's p99 without the flood, measured in the same run.
      const quiet = await timedSends(server.url, alice.accessToken, room.chatRoomId, 'quiet');
      const flood = startSignInFlood(server.url);
      let flooded;
      let counts;
      try {
        let timer;
        const timeout = new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('no 429 within 30 s of flooding')), 30_000);
        });
        await Promise.race([flood.queueFull, timeout]).finally(() => clearTimeout(timer));
        flooded = await timedSends(server.url, alice.accessToken, room.chatRoomId, 'flooded');
      } finally {
        counts = await flood.stop();
      }
      const figures = {
        quietP50: percentile(quiet, 0.5), quietP99: percentile(quiet, 0.99),
        floodedP50: percentile(flooded, 0.5), floodedP99: percentile(flooded, 0.99),
        floodedMax: flooded[flooded.length - 1], signIns: counts,
      };
      console.log(`send acknowledgements (ms) and sign-in answers: ${JSON.stringify(figures)}`);
      assert.ok((counts[429] ?? 0) > 0, `the flood gets 429 when the queue is full: ${JSON.stringify(counts)}`);
      assert.ok((counts[401] ?? 0) > 0, `and the queued ones are answered: ${JSON.stringify(counts)}`);
      assert.equal(counts.badRetryAfter, undefined, 'every 429 carries Retry-After: 1');
      assert.equal(counts[200], undefined);
      // SPEC 3: p99 under 50 ms. On a shared, loaded machine the quiet floor is added, so that
      // the assertion measures what the flood costs and not what the neighbours do.
      const bound = 50 + Math.max(0, figures.quietP99 - 10);
      assert.ok(figures.floodedP99 < bound,
                `p99 ${figures.floodedP99.toFixed(1)} ms under the flood, bound ${bound.toFixed(1)} ms`);
    } finally {
      await server.stop();
    }
  });
});
