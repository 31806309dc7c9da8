// Failure injection at the n-th socket write (issue 11; docs/security.md), in the style of
// Boost.Beast's fail_count. A server started with LIVECHAT_FAILURE_INJECTION=1 makes the n-th
// write of a connection fail, as a reset connection's would, when the request that opened it
// carries `Livechat-Fail-Write: n` (a write: one response, or one gather write of a stream).
// For every n along a sign-in and REST sends, a STOMP SEND with receipt, an SSE resume
// (Last-Event-ID) and a STOMP resume (x-since-id), until n is past the last write: the
// connection closes (no hang), nothing acknowledged is lost, nothing unacknowledged is
// acknowledged, a resume never skips or repeats, and the server goes on serving (no crash;
// `make sanitize-test` runs this suite under ASan, which also fails it on a leak at exit).

import assert from 'node:assert/strict';
import { before, test } from 'node:test';

import { PASSWORD, createRoom, newUser, request } from './lib/api.mjs';
import { RawStomp, openRawSse, range } from './lib/clients.mjs';
import { fullHistory, sendMessage } from './lib/messages.mjs';
import { RawConnection } from './lib/raw_http.mjs';
import { startServer } from './lib/server.mjs';

const FAIL_WRITE = 'Livechat-Fail-Write';
const MAX_N = 40;  // far more writes than any path below makes
const HISTORY_SIZE = 20;  // small: a resume reads from the store as well as from memory

let server;
let alice;
let roomId;

before(async () => {
  server = await startServer({
    env: {
      LIVECHAT_FAILURE_INJECTION: '1', HISTORY_SIZE, RATE_LIMIT_PER_S: 10_000, RATE_LIMIT_BURST: 10_000,
    },
  });
  alice = await newUser(server.url, 'wf');
  roomId = (await createRoom(server.url, alice.accessToken, 'write failures')).chatRoomId;
});

// Every message of the room, as history has it: ids 1..k without a gap.
async function history() {
  const all = await fullHistory(server.url, alice.accessToken, roomId);
  assert.deepEqual(all.map((m) => m.id), range(1, all.length), 'history has a gap or a repeat');
  return all;
}

function httpRequest(method, path, { body, token, headers = {} } = {}) {
  const payload = body === undefined ? '' : JSON.stringify(body);
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', `Content-Length: ${Buffer.byteLength(payload)}`];
  if (body !== undefined) lines.push('Content-Type: application/json');
  if (token !== undefined) lines.push(`Authorization: Bearer ${token}`);
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  return `${lines.join('\r\n')}\r\n\r\n${payload}`;
}

// A REST conversation on one keep-alive connection whose n-th response fails: a sign-in, two
// sends, a history read. Whatever n is, each 201 names a message that history keeps with its
// contents; the one send whose 201 was lost may be kept too (it was committed before its answer
// was written), and nothing else is.
test('the n-th write of a REST connection fails: sign-in, sends and history', async () => {
  let completed = false;
  let completedAt = null;
  for (let n = 1; n <= MAX_N && !completed; n += 1) {
    const keptBefore = (await history()).length;
    const connection = await RawConnection.open(server.port);
    const steps = [
      ['POST', '/users/signin', { body: { userId: alice.userId, password: PASSWORD } }],
      ['POST', `/chatrooms/${roomId}/messages`, { body: { contents: `rest ${n} a` }, token: alice.accessToken }],
      ['POST', `/chatrooms/${roomId}/messages`, { body: { contents: `rest ${n} b` }, token: alice.accessToken }],
      ['GET', `/chatrooms/${roomId}/messages?sinceId=${keptBefore}`, { token: alice.accessToken }],
    ];
    const acknowledged = [];
    let failedAt = null;
    for (const [index, [method, path, options]] of steps.entries()) {
      const headers = index === 0 ? { [FAIL_WRITE]: n } : {};
      await connection.write(httpRequest(method, path, { ...options, headers }));
      let response;
      try {
        response = await connection.readResponse();
      } catch {
        failedAt = index;
        break;
      }
      if (index === 0) assert.equal(response.status, 200, response.text);
      if (method === 'POST' && index > 0) {
        assert.equal(response.status, 201, response.text);
        acknowledged.push(JSON.parse(response.text));
      }
      if (method === 'GET') assert.equal(response.status, 200, response.text);
    }
    if (failedAt === null) {
      completed = true;
      completedAt = n;
      connection.destroy();
    } else {
      assert.equal(failedAt, n - 1, `n = ${n}: the ${n}-th response failed`);
      assert.ok(await connection.waitClosed(5000), `n = ${n}: the connection was not closed`);
    }
    const added = (await history()).slice(keptBefore);
    for (const message of acknowledged) {
      assert.deepEqual(added.find((m) => m.id === message.id), message, `n = ${n}: acknowledged ${message.id} is lost`);
    }
    const sent = steps.slice(1, 3).map(([, , options]) => options.body.contents);
    const lost = failedAt !== null && failedAt >= 1 && failedAt <= 2 ? [sent[failedAt - 1]] : [];
    assert.deepEqual(added.map((m) => m.contents), [...acknowledged.map((m) => m.contents), ...lost],
                     `n = ${n}: history holds something never sent or sent twice`);
  }
  assert.ok(completed, `a REST conversation makes more than ${MAX_N} writes`);
  assert.equal(completedAt, 5, 'each of the four responses failed in turn');
});

// A REST send that asks `Expect: 100-continue` (as curl does for a larger body): its interim
// `100 Continue` is a write too. n = 1 fails it: the connection closes before the body was
// asked for, and nothing is kept. n = 2 fails the 201: the message was committed first, so it
// is kept though unacknowledged. n = 3 runs whole.
test('the n-th write of a send with Expect: 100-continue fails, the interim response included', async () => {
  const outcomes = [];
  for (let n = 1; n <= 3; n += 1) {
    const keptBefore = (await history()).length;
    const contents = `continue ${n}`;
    const body = JSON.stringify({ contents });
    const head = [
      `POST /chatrooms/${roomId}/messages HTTP/1.1`, 'Host: 127.0.0.1', 'Content-Type: application/json',
      `Content-Length: ${Buffer.byteLength(body)}`, `Authorization: Bearer ${alice.accessToken}`,
      'Expect: 100-continue', `${FAIL_WRITE}: ${n}`,
    ];
    const connection = await RawConnection.open(server.port);
    await connection.write(`${head.join('\r\n')}\r\n\r\n`);
    let outcome = 'interim lost';
    try {
      const interim = await connection.readResponse();
      assert.equal(interim.status, 100, interim.text);
      outcome = 'response lost';
      await connection.write(body);
      const response = await connection.readResponse();
      assert.equal(response.status, 201, response.text);
      outcome = 'acknowledged';
    } catch (error) {
      if (error.code === 'ERR_ASSERTION') throw error;
      assert.ok(await connection.waitClosed(5000), `n = ${n}: the connection was not closed`);
    }
    connection.destroy();
    const added = (await history()).slice(keptBefore).map((m) => m.contents);
    outcomes.push([outcome, added]);
  }
  assert.deepEqual(outcomes, [
    ['interim lost', []],
    ['response lost', ['continue 2']],
    ['acknowledged', ['continue 3']],
  ]);
});

// The first frame matching `predicate`; rejects as soon as the connection is closed without it
// (an injected failure), instead of waiting for a timeout.
function frameOrClose(raw, predicate, what) {
  return raw.waitFor((r) => {
    const frame = r.frames.find(predicate);
    if (frame) return frame;
    if (!r.isOpen) throw new Error(`closed before ${what}`);
    return null;
  }, 10_000, what);
}

// Opens /ws (with the failure armed when `failAt` > 0) and signs in as alice over STOMP.
async function stompConnection(failAt) {
  const headers = failAt > 0 ? { [FAIL_WRITE]: String(failAt) } : {};
  const raw = await RawStomp.open(server.url, ['v12.stomp'], { headers });
  try {
    await raw.send('CONNECT', {
      'accept-version': '1.2', host: '127.0.0.1', Authorization: `Bearer ${alice.accessToken}`, 'heart-beat': '0,0',
    });
    await frameOrClose(raw, (f) => f.command === 'CONNECTED', 'CONNECTED');
  } catch (error) {
    assert.ok(await raw.waitClosed(5000), `the connection was not closed; ${raw.describe()}`);
    throw error;
  }
  return raw;
}

// A STOMP connection whose n-th write fails (the 101, CONNECTED, a RECEIPT): every RECEIPT
// names a message that history keeps; a SEND whose RECEIPT was lost may be kept, nothing else.
test('the n-th write of a STOMP connection fails: CONNECT and SENDs with receipts', async () => {
  let completed = false;
  let completedAt = null;
  for (let n = 1; n <= MAX_N && !completed; n += 1) {
    const keptBefore = (await history()).length;
    const sent = [];
    const receipts = [];
    let raw;
    try {
      raw = await stompConnection(n);
      for (const part of ['a', 'b']) {
        const contents = `stomp ${n} ${part}`;
        sent.push(contents);
        await raw.send('SEND', { destination: `/queue/message/${roomId}`, receipt: contents }, JSON.stringify({ contents }));
        await frameOrClose(raw, (f) => f.command === 'RECEIPT' && f.headers['receipt-id'] === contents, 'RECEIPT');
        receipts.push(contents);
      }
      completed = true;
      completedAt = n;
      raw.close();
    } catch {
      // The injected failure: the connection must be closed, not left hanging.
      if (raw) assert.ok(await raw.waitClosed(5000), `n = ${n}: the connection was not closed; ${raw.describe()}`);
    }
    const added = (await history()).slice(keptBefore).map((m) => m.contents);
    for (const contents of receipts) assert.ok(added.includes(contents), `n = ${n}: "${contents}" had a RECEIPT and is lost`);
    assert.ok(added.every((contents) => sent.includes(contents)), `n = ${n}: history holds ${added}, sent ${sent}`);
    assert.equal(new Set(added).size, added.length, `n = ${n}: kept twice: ${added}`);
  }
  assert.ok(completed, `a STOMP conversation makes more than ${MAX_N} writes`);
  // The 101, CONNECTED and the two RECEIPTs failed in turn.
  assert.equal(completedAt, 5);
});

// A resume (from id 5, past what memory holds) whose n-th write fails, then live messages:
// the ids received are the start of what was asked for, without a gap or a repeat, and either
// the stream got everything or it was closed; a resume from the last id received (without
// injection) then gets the rest. `open(afterId, failAt)` opens a stream:
// {ids(), ended(), waitFor(done(ids)), close()}; waitFor returns early when the stream ends.
async function resumeThroughFailures(open) {
  const resumeFrom = 5;
  let completed = false;
  let completedAt = null;
  for (let n = 1; n <= MAX_N && !completed; n += 1) {
    const stream = await open(resumeFrom, n);
    let last = (await history()).length;
    await stream.waitFor((ids) => ids.at(-1) === last);
    if (!stream.ended()) {
      for (let i = 0; i < 3; i += 1) last = (await sendMessage(server.url, alice.accessToken, roomId, `live ${n} ${i}`)).id;
      await stream.waitFor((ids) => ids.at(-1) === last);
    }
    const got = stream.ids();
    assert.deepEqual(got, range(resumeFrom + 1, resumeFrom + got.length), `n = ${n}: a gap or a repeat`);
    if (stream.ended()) {
      const rest = await open(got.at(-1) ?? resumeFrom, 0);
      await rest.waitFor((ids) => ids.at(-1) === last);
      assert.deepEqual([...got, ...rest.ids()], range(resumeFrom + 1, last), `n = ${n}: the resume after the failure`);
      rest.close();
    } else {
      assert.equal(got.at(-1), last, `n = ${n}: the stream neither closed nor got everything`);
      completed = true;
      completedAt = n;
    }
    stream.close();
  }
  assert.ok(completed, `a resume makes more than ${MAX_N} writes`);
  return completedAt;
}

// What a stream that failed before it opened looks like to resumeThroughFailures.
const neverOpened = { ids: () => [], ended: () => true, waitFor: async () => {}, close: () => {} };

test('the n-th write of an SSE resume (Last-Event-ID) fails', async () => {
  for (let i = 0; i < 2 * HISTORY_SIZE; i += 1) await sendMessage(server.url, alice.accessToken, roomId, `sse ${i}`);
  const completedAt = await resumeThroughFailures(async (afterId, failAt) => {
    const headers = { authorization: `Bearer ${alice.accessToken}`, 'Last-Event-ID': String(afterId) };
    if (failAt > 0) headers[FAIL_WRITE] = String(failAt);
    let stream;
    try {
      stream = await openRawSse(server.url, `/chatrooms/${roomId}/events`, { headers });
    } catch {
      return neverOpened;  // the response head was the failed write
    }
    assert.equal(stream.status, 200);
    const ids = () => stream.events.filter((e) => !e.event && e.data).flatMap((e) => JSON.parse(e.data).map((m) => m.id));
    return {
      ids,
      ended: () => stream.endedAt !== null,
      waitFor: (done) => stream.waitFor((s) => s.endedAt !== null || done(ids()), 10_000, 'the ids'),
      close: () => stream.close(),
    };
  });
  // At least the head and one write of the replay failed in turn.
  assert.ok(completedAt > 2, `completed at n = ${completedAt}`);
});

test('the n-th write of a STOMP resume (x-since-id) fails', async () => {
  for (let i = 0; i < 2 * HISTORY_SIZE; i += 1) await sendMessage(server.url, alice.accessToken, roomId, `stomp ${i}`);
  const completedAt = await resumeThroughFailures(async (afterId, failAt) => {
    let raw;
    try {
      raw = await stompConnection(failAt);
    } catch {
      return neverOpened;  // the 101 or CONNECTED was the failed write
    }
    await raw.send('SUBSCRIBE', { id: 'sub-0', destination: `/chat/${roomId}`, 'x-since-id': String(afterId) });
    const ids = () => raw.frames.filter((f) => f.command === 'MESSAGE').map((f) => JSON.parse(f.body).id);
    return {
      ids,
      ended: () => !raw.isOpen,
      waitFor: (done) => raw.waitFor((r) => !r.isOpen || done(ids()), 10_000, 'the ids'),
      close: () => raw.close(),
    };
  });
  // At least the 101, CONNECTED and one write of the replay failed in turn.
  assert.ok(completedAt > 3, `completed at n = ${completedAt}`);
});

test('the server outlived every injected failure, and stops cleanly', async () => {
  assert.equal((await request(server.url, 'GET', '/healthz')).status, 200);
  await history();
  // Under ASan (make sanitize-test) a leak makes the exit status non-zero.
  const exit = await server.stop();
  assert.equal(exit.code, 0, `exit ${JSON.stringify(exit)}; ${server.output().slice(-2000)}`);
});
