// Connection limits (SPEC sections 1, 5.1, 5.2 and 8; issue 11): what one client may hold of a
// node and for how long. Subscriptions per STOMP connection, the CONNECT deadline, the write
// deadline of a client that stopped reading, MAX_STREAMS, a client that sends junk up an SSE
// stream, and the 64 KiB WebSocket message limit. The tests that wait for the server's own
// deadlines (10 s, 30 s) run side by side.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';

import { startServer } from './lib/server.mjs';
import { request } from './lib/api.mjs';
import { RawStomp, openSse } from './lib/clients.mjs';
import { RawConnection } from './lib/raw_http.mjs';
import { holdsConnection } from './lib/proc.mjs';
import { publishOk, sessionDestination, sessionSsePath } from './lib/sessions.mjs';

const KEY = 'limits-test-key';
const KiB = 1024;

/** A STOMP connection, anonymous and CONNECTED, with heart-beats off unless asked. */
async function stompConnected(url, { heartBeat = '0,0' } = {}) {
  const raw = await RawStomp.open(url, ['v12.stomp']);
  await raw.connect({ 'heart-beat': heartBeat });
  return raw;
}

/** SUBSCRIBEs with a receipt and waits for it; resolves to the RECEIPT or the ERROR frame. */
async function subscribe(raw, id, destination, headers = {}) {
  const receipt = `sub-${id}`;
  const from = raw.frames.length;
  await raw.send('SUBSCRIBE', { id, destination, receipt, ...headers });
  return raw.waitForFrame((f) => (f.command === 'RECEIPT' && f.headers['receipt-id'] === receipt)
                                 || f.command === 'ERROR', 10_000, `RECEIPT ${receipt}`, from);
}

/** The server-side local port of the raw client's socket: its client port, for /proc. */
const clientPortOf = (raw) => raw.ws._socket.localPort;

/** Polls `check` every 50 ms until it is true or `timeoutMs` passes; resolves to its last value. */
async function pollUntil(check, timeoutMs) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value || performance.now() > deadline) return value;
    await new Promise((resolve) => { setTimeout(resolve, 50); });
  }
}

/** Bytes in the kernel send queue of the server side of loopback connection serverPort <-> clientPort. */
function kernelSendQueue(serverPort, clientPort) {
  const hex = (port) => `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const line of fs.readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields[1] === hex(serverPort) && fields[2] === hex(clientPort)) return parseInt(fields[4].split(':')[0], 16);
  }
  return null;
}

/** Messages of `size` characters for the tenant API, as many as fit one 64 KiB request. */
function bigMessages(count, size, tag) {
  return Array.from({ length: count }, (_, i) => ({ sender: 'load', contents: `${tag}-${i}-`.padEnd(size, 'x') }));
}

let server;

before(async () => {
  server = await startServer({
    env: {
      LIVECHAT_API_KEY: KEY, MAX_MESSAGE_LENGTH: 8000, MAX_SUBSCRIPTIONS_PER_CONNECTION: 3,
    },
  });
});

test('MAX_SUBSCRIPTIONS_PER_CONNECTION: one subscription more is an ERROR (with the receipt-id) and the connection closes', async () => {
  const raw = await stompConnected(server.url);
  for (const id of ['a', 'b', 'c']) {
    const answer = await subscribe(raw, id, sessionDestination(crypto.randomUUID()));
    assert.equal(answer.command, 'RECEIPT', raw.describe());
  }
  // UNSUBSCRIBE gives a place back.
  await raw.send('UNSUBSCRIBE', { id: 'b', receipt: 'unsub-b' });
  await raw.waitForReceipt('unsub-b');
  assert.equal((await subscribe(raw, 'd', sessionDestination(crypto.randomUUID()))).command, 'RECEIPT');

  const refused = await subscribe(raw, 'e', sessionDestination(crypto.randomUUID()));
  assert.equal(refused.command, 'ERROR', raw.describe());
  assert.equal(refused.headers['receipt-id'], 'sub-e');
  assert.match(refused.headers.message, /MAX_SUBSCRIPTIONS_PER_CONNECTION|at most 3 subscriptions/);
  assert.ok(await raw.waitClosed(5000), `the connection must close after the ERROR: ${raw.describe()}`);
  raw.close();
});

test('MAX_SUBSCRIPTIONS_PER_CONNECTION defaults to 100', async () => {
  const other = await startServer();
  try {
    const raw = await stompConnected(other.url);
    for (let i = 0; i < 100; i += 1) {
      await raw.send('SUBSCRIBE', { id: `s${i}`, destination: sessionDestination(crypto.randomUUID()) });
    }
    const answer = await subscribe(raw, 's100', sessionDestination(crypto.randomUUID()));
    assert.equal(answer.command, 'ERROR', raw.describe());
    assert.equal(raw.frames.filter((f) => f.command === 'ERROR').length, 1);
    raw.close();
  } finally {
    await other.stop();
  }
});

test('an SSE client that sends bytes up its stream is closed; the server goes on', async () => {
  const sessionId = crypto.randomUUID();
  const stream = await RawConnection.open(server.port);
  await stream.write(`GET ${sessionSsePath(sessionId)} HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n`);
  await pollUntil(() => stream.buffer.includes('retry:'), 5000);
  assert.ok(stream.buffer.includes('retry:'), `no SSE head: ${stream.buffer}`);
  // 64 KiB of junk: read in 4 KiB pieces before, this held the stream open (a wake-up per byte
  // in the first versions).
  await stream.write(Buffer.alloc(64 * KiB, 'j'));
  assert.ok(await stream.waitClosed(5000), 'a client sending junk up an SSE stream must be closed');
  assert.equal((await request(server.url, 'GET', '/healthz')).status, 200);
});

test('the 64 KiB WebSocket message limit: a message of exactly 64 KiB works, one byte more closes with 1009', async () => {
  const sessionId = crypto.randomUUID();
  const raw = await stompConnected(server.url);
  // Other fields of a SEND's body are ignored (SPEC 5.1): padding makes the message the size
  // wanted. Anonymous SENDs are refused, so a member of a chat room is not needed: the
  // ERROR for sending anonymously shows the message was read whole.
  const frameOfSize = (size) => {
    const head = `SEND\ndestination:/queue/message/${sessionId}\nreceipt:r-${size}\n\n`;
    const emptyBody = JSON.stringify({ contents: 'hi', pad: '' });
    const padding = size - Buffer.byteLength(head) - Buffer.byteLength(emptyBody) - 1;
    return `${head}${JSON.stringify({ contents: 'hi', pad: 'p'.repeat(padding) })}\0`;
  };
  const exact = frameOfSize(64 * KiB);
  assert.equal(Buffer.byteLength(exact), 64 * KiB);
  await raw.sendRaw(exact);
  const answer = await raw.waitForFrame((f) => f.command === 'ERROR' || f.command === 'RECEIPT', 5000, 'an answer');
  assert.equal(answer.headers['receipt-id'], `r-${64 * KiB}`, raw.describe());
  assert.match(answer.headers.message, /sign in/);  // read whole, refused for being anonymous
  raw.close();

  const tooBig = await stompConnected(server.url);
  const oversized = frameOfSize(64 * KiB + 1);
  assert.equal(Buffer.byteLength(oversized), 64 * KiB + 1);
  await tooBig.sendRaw(oversized);
  assert.ok(await tooBig.waitClosed(5000), tooBig.describe());
  assert.equal(tooBig.closeInfo.code, 1009, tooBig.describe());
  assert.ok(!tooBig.frames.some((f) => f.command === 'RECEIPT'), tooBig.describe());
  tooBig.close();
});

describe('deadlines', { concurrency: true }, () => {
  test('a WebSocket that sends no CONNECT within 10 s is closed; one that connected stays', async () => {
    const silent = await RawStomp.open(server.url, ['v12.stomp']);
    const connected = await stompConnected(server.url);
    assert.ok(await silent.waitClosed(14_000), `no CONNECT for 14 s, still open: ${silent.describe()}`);
    const heldFor = silent.closeInfo.at - silent.openedAt;
    assert.ok(heldFor >= 9_000, `closed after ${heldFor} ms: too early for the 10 s deadline`);
    assert.ok(connected.isOpen, connected.describe());
    connected.close();
    silent.close();
  });

  test('heart-beat 0,0 and a client that stops reading: its write makes no progress and it is closed after 30 s', async () => {
    const sessionId = crypto.randomUUID();
    const stalled = await stompConnected(server.url, { heartBeat: '0,0' });
    assert.equal((await subscribe(stalled, 'x', sessionDestination(sessionId))).command, 'RECEIPT');
    const clientPort = clientPortOf(stalled);
    stalled.ws._socket.pause();  // a zero TCP window from here on

    // Fill the kernel's buffers (they take megabytes on loopback), then a little more, well under the
    // 1 MiB output bound: the server's write stays pending, and nothing else would end it.
    let kernelFull = false;
    for (let round = 0; round < 400 && !kernelFull; round += 1) {
      const queued = kernelSendQueue(server.port, clientPort);
      await publishOk(server.url, KEY, sessionId, bigMessages(7, 8000, `r${round}`));
      // The send queue holds only what the client's kernel has not taken: it grows once the
      // client's receive buffer is full, and stands still once the server's is too.
      kernelFull = queued > 0
        && !(await pollUntil(() => kernelSendQueue(server.port, clientPort) !== queued, 1000));
    }
    assert.ok(kernelFull, 'the kernel send queue never filled');
    for (let round = 0; round < 2; round += 1) {
      await publishOk(server.url, KEY, sessionId, bigMessages(7, 8000, `more${round}`));
    }
    const started = performance.now();
    assert.ok(holdsConnection(server.pid, server.port, clientPort), 'dropped before the deadline');
    const dropped = await pollUntil(() => !holdsConnection(server.pid, server.port, clientPort), 40_000);
    const after = performance.now() - started;
    assert.ok(dropped, 'a connection whose writes made no progress for 40 s is still held');
    assert.ok(after >= 20_000, `dropped after ${after} ms: by the 1 MiB bound, not the write deadline?`);
    stalled.close();
  });
});

test('MAX_STREAMS: past it SSE and WebSocket get 503 UNAVAILABLE with Retry-After and are closed; REST and the streams held go on', async () => {
  const capped = await startServer({ env: { LIVECHAT_API_KEY: KEY, MAX_STREAMS: 4 } });
  try {
    const sessionId = crypto.randomUUID();
    const sse = [await openSse(capped.url, sessionSsePath(sessionId)), await openSse(capped.url, sessionSsePath(sessionId))];
    const ws = [await stompConnected(capped.url), await stompConnected(capped.url)];
    for (const [index, each] of ws.entries()) {
      assert.equal((await subscribe(each, `w${index}`, sessionDestination(sessionId))).command, 'RECEIPT');
    }

    // A flood past the cap: every one answered at once, then closed.
    const flood = await Promise.all(Array.from({ length: 20 }, async () => {
      const connection = await RawConnection.open(capped.port);
      await connection.write(`GET ${sessionSsePath(sessionId)} HTTP/1.1\r\nHost: x\r\n\r\n`);
      const response = await connection.readResponse();
      const closed = await connection.waitClosed(5000);
      connection.destroy();
      return { response, closed };
    }));
    for (const { response, closed } of flood) {
      assert.equal(response.status, 503);
      assert.equal(JSON.parse(response.text).code, 'UNAVAILABLE');
      assert.ok(Number(response.headers['retry-after']) >= 1, JSON.stringify(response.headers));
      assert.ok(closed, 'a refused stream must be closed, not kept waiting');
    }
    const upgrade = await RawConnection.open(capped.port);
    await upgrade.write('GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
                        + `Sec-WebSocket-Key: ${crypto.randomBytes(16).toString('base64')}\r\n`
                        + 'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: v12.stomp\r\n\r\n');
    const refused = await upgrade.readResponse();
    assert.equal(refused.status, 503);
    assert.ok(refused.headers['retry-after']);
    assert.ok(await upgrade.waitClosed(5000));

    // Plain requests are served, and the streams held still get what is published.
    assert.equal((await request(capped.url, 'GET', '/healthz')).status, 200);
    const [id] = await publishOk(capped.url, KEY, sessionId, { sender: 'tenant', contents: 'still here' });
    await Promise.all(sse.map((each) => each.waitForId(id)));
    for (const each of ws) {
      await each.waitForFrame((f) => f.command === 'MESSAGE' && JSON.parse(f.body).id === id, 5000, `MESSAGE ${id}`);
    }

    // A place given back is a place to take.
    sse[0].close();
    const again = await pollUntil(async () => {
      try {
        return await openSse(capped.url, sessionSsePath(sessionId), { timeoutMs: 2000 });
      } catch {
        return null;
      }
    }, 10_000);
    assert.ok(again, 'the place of a closed stream must come back');
    again.close();
    sse[1].close();
    for (const each of ws) each.close();
  } finally {
    await capped.stop();
  }
});

after(() => server?.stop());
