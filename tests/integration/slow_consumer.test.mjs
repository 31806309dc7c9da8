// A slow consumer (SPEC section 5, "Batching"): an SSE reader that stops reading is
// disconnected once it falls behind by more than its output buffer, the server's memory stays
// bounded meanwhile, a reader that keeps up still gets everything, and the slow one can resume
// from its last id without a gap.

import assert from 'node:assert/strict';
import { before, test } from 'node:test';

import { startServer } from './lib/server.mjs';
import { createRoom, joinRoom, newUser } from './lib/api.mjs';
import { RawConnection } from './lib/raw_http.mjs';
import { openSse, parseSseEvents, sleep } from './lib/clients.mjs';
import { assertIds, assertSseBatches, fullHistory, postMessage, sendSentinel } from './lib/messages.mjs';
import { holdsConnection, sampleRss } from './lib/proc.mjs';

const MiB = 1024 * 1024;
const CONTENTS_LENGTH = 8000;        // ~8 KB of JSON per message
const MAX_MESSAGES = 12_000;         // ~96 MB: far more than any kernel buffering plus 1 MiB
const AFTER_DROP = 300;              // messages published after the disconnect
const PUBLISHERS = 8;                // concurrent POSTs
const RSS_GROWTH_LIMIT = 64 * MiB;
const DROP_LIMIT_MS = 30_000;

let server;
let alice;
let bob;
let roomId;

before(async () => {
  server = await startServer({
    env: { RATE_LIMIT_PER_S: 100000, RATE_LIMIT_BURST: 100000, MAX_MESSAGE_LENGTH: CONTENTS_LENGTH },
  });
  [alice, bob] = await Promise.all([newUser(server.url, 'alice'), newUser(server.url, 'bob')]);
  roomId = (await createRoom(server.url, alice.accessToken, 'slow consumers')).chatRoomId;
  assert.equal((await joinRoom(server.url, bob.accessToken, roomId)).status, 200);
});

/** The body of an HTTP/1.1 response from its raw bytes after the head (chunked or not). */
function decodeBody(headers, bytes) {
  if (!/chunked/i.test(headers['transfer-encoding'] ?? '')) return bytes.toString('utf8');
  const parts = [];
  let rest = bytes;
  for (;;) {
    const lineEnd = rest.indexOf('\r\n');
    if (lineEnd < 0) break;
    const size = parseInt(rest.subarray(0, lineEnd).toString('latin1'), 16);
    if (!(size > 0)) break;
    const chunk = rest.subarray(lineEnd + 2, lineEnd + 2 + size);
    parts.push(chunk);
    if (chunk.length < size) break;  // cut off by the disconnect
    rest = rest.subarray(lineEnd + 2 + size + 2);
  }
  return Buffer.concat(parts).toString('utf8');
}

test('a reader that stops reading is disconnected, memory stays bounded, the others get everything, '
     + 'and the slow one resumes without a gap', async (t) => {
  const keepingUp = await openSse(server.url, `/chatrooms/${roomId}/events`, { token: bob.accessToken });

  const slow = await RawConnection.open(server.port);
  await slow.write(`GET /chatrooms/${roomId}/events?access_token=${bob.accessToken} HTTP/1.1\r\n`
                   + 'Host: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n');
  const head = await slow.readResponse({ head: true });
  assert.equal(head.status, 200);
  slow.socket.pause();  // from now on the client reads nothing
  const clientPort = slow.socket.localPort;
  assert.ok(holdsConnection(server.pid, server.port, clientPort), 'the server holds the slow connection');

  const rss = sampleRss(server.pid);
  const started = performance.now();
  let published = 0;
  let droppedAt = null;       // ms since start when the server let go of the slow connection
  let publishedAtDrop = null;
  let stopAt = MAX_MESSAGES;
  const watcher = setInterval(() => {
    if (droppedAt === null && !holdsConnection(server.pid, server.port, clientPort)) {
      droppedAt = performance.now() - started;
      publishedAtDrop = published;
      stopAt = Math.min(MAX_MESSAGES, published + AFTER_DROP);
    }
  }, 50);

  const filler = 'x'.repeat(CONTENTS_LENGTH - 12);
  let next = 0;
  try {
    await Promise.all(Array.from({ length: PUBLISHERS }, async () => {
      while (next < stopAt && performance.now() - started < DROP_LIMIT_MS) {
        next += 1;
        const n = next;
        const contents = `${String(n).padStart(10, '0')} ${filler}`;
        const res = await postMessage(server.url, alice.accessToken, roomId, contents);
        if (res.status !== 201) throw new Error(`POST ${n}: ${res.status} ${res.text}`);
        published += 1;
      }
    }));
    // A last look, in case the drop came with the last messages.
    for (let i = 0; i < 20 && droppedAt === null; i += 1) await sleep(100);  // a poll
  } finally {
    clearInterval(watcher);
  }
  const memory = rss.stop();
  const growth = memory.peak - memory.first;
  const seconds = ((performance.now() - started) / 1000).toFixed(1);

  assert.notEqual(droppedAt, null,
                  `the server still holds the slow connection after ${published} messages ` +
                  `(~${Math.round(published * CONTENTS_LENGTH / MiB)} MiB) in ${seconds} s`);
  assert.ok(growth < RSS_GROWTH_LIMIT,
            `RSS grew by ${(growth / MiB).toFixed(1)} MiB (from ${(memory.first / MiB).toFixed(1)} ` +
            `to a peak of ${(memory.peak / MiB).toFixed(1)} MiB) while a reader was stuck`);

  // The reader that kept up got every message, in order, once.
  await keepingUp.waitForId(published, 20_000);
  const sentinel = await sendSentinel(server.url, alice.accessToken, roomId, keepingUp);
  assertIds(keepingUp.ids, 1, sentinel, 'the reader that kept up');
  assertSseBatches(keepingUp.batches, roomId);
  keepingUp.close();

  // The slow reader now reads what its socket still holds: the head of the stream, no gap,
  // then the end of the connection.
  slow.socket.resume();
  assert.ok(await slow.waitClosed(10_000), 'the slow connection ends once its buffered bytes are read');
  const { events } = parseSseEvents(decodeBody(head.headers, slow.buffer));
  const batches = events.filter((e) => e.data !== undefined && e.event === undefined)
    .map((e) => ({ data: JSON.parse(e.data), lastEventId: e.id }));
  assertSseBatches(batches, roomId);
  const got = batches.flatMap((b) => b.data.map((m) => m.id));
  const lastSeen = got.length ? got[got.length - 1] : 0;
  assertIds(got, 1, lastSeen, 'what the slow reader got before the disconnect');
  assert.ok(lastSeen < publishedAtDrop, `the slow reader got ${lastSeen} of ${publishedAtDrop}: it was not behind`);

  t.diagnostic(`dropped after ${Math.round(droppedAt)} ms and ${publishedAtDrop} messages; it had read ` +
               `up to id ${lastSeen}; RSS ${(memory.first / MiB).toFixed(1)} -> peak ` +
               `${(memory.peak / MiB).toFixed(1)} MiB; ${published} messages in ${seconds} s`);

  // It resumes from its last id and gets what it missed, then live messages.
  const resumed = await openSse(server.url, `/chatrooms/${roomId}/events`,
                                { token: bob.accessToken, lastEventId: lastSeen });
  try {
    const extra = await postMessage(server.url, alice.accessToken, roomId, 'after the resume');
    assert.equal(extra.status, 201, extra.text);
    await resumed.waitForId(extra.json.id, 10_000, `the stream resumed after id ${lastSeen}: message`);
    const last = await sendSentinel(server.url, alice.accessToken, roomId, resumed);
    assertIds(resumed.ids, lastSeen + 1, last, 'after resuming');
    assertSseBatches(resumed.batches, roomId);
  } finally {
    resumed.close();
  }

  const history = await fullHistory(server.url, alice.accessToken, roomId);
  assertIds(history.map((m) => m.id), 1, published + 3, 'history: published, two sentinels, one after the resume');
});

// SPEC 5: a client that has seen N gets what follows N while it is within HISTORY_SIZE, however
// many bytes that is: the replay must not count as falling behind by more than the buffer.
for (const how of ['Last-Event-ID', '?sinceId=']) {
  test(`resuming with ${how} after missing more than 1 MiB (within HISTORY_SIZE) gets it all`, async () => {
    const { chatRoomId } = await createRoom(server.url, alice.accessToken, `missed a lot ${how}`);
    const count = 700;  // 700 x ~2.2 KB of JSON: ~1.5 MiB, fewer than HISTORY_SIZE (1000)
    let next = 0;
    await Promise.all(Array.from({ length: PUBLISHERS }, async () => {
      while (next < count) {
        next += 1;
        const res = await postMessage(server.url, alice.accessToken, chatRoomId, `${next} ${'y'.repeat(2000)}`);
        if (res.status !== 201) throw new Error(`POST: ${res.status} ${res.text}`);
      }
    }));
    const client = how === 'Last-Event-ID'
      ? await openSse(server.url, `/chatrooms/${chatRoomId}/events`, { token: alice.accessToken, lastEventId: 1 })
      : await openSse(server.url, `/chatrooms/${chatRoomId}/events?sinceId=1`, { token: alice.accessToken });
    try {
      await client.waitForId(count, 10_000, 'the stream resumed after id 1: message');
      const live = await postMessage(server.url, alice.accessToken, chatRoomId, 'live again');
      await client.waitForId(live.json.id, 5000);
      assertIds(client.ids, 2, count + 1, 'replayed, then live');
      assertSseBatches(client.batches, chatRoomId);
    } finally {
      client.close();
    }
  });
}
