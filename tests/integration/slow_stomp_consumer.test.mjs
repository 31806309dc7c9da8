// A slow STOMP consumer (SPEC section 5, "Batching"; issue 11): a STOMP client that stops
// reading is disconnected once it falls behind by more than its output buffer, a STOMP client
// that keeps up meanwhile gets everything, and the slow one resumes from its last id with
// x-since-id without a gap. (slow_consumer.test.mjs covers SSE.)

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, test } from 'node:test';

import { startServer } from './lib/server.mjs';
import { RawStomp } from './lib/clients.mjs';
import { assertIds } from './lib/messages.mjs';
import { holdsConnection, sampleRss } from './lib/proc.mjs';
import { publishOk, sessionDestination } from './lib/sessions.mjs';

const KEY = 'slow-stomp-key';
const MiB = 1024 * 1024;
const CONTENTS_LENGTH = 8000;
const PER_POST = 7;                  // 7 x 8000 characters: one request under 64 KiB
const MAX_POSTS = 1500;              // ~84 MB: far more than kernel buffers plus 1 MiB
const RSS_GROWTH_LIMIT = 64 * MiB;
const DROP_LIMIT_MS = 30_000;

let server;

before(async () => {
  server = await startServer({ env: { LIVECHAT_API_KEY: KEY, MAX_MESSAGE_LENGTH: CONTENTS_LENGTH } });
});

after(() => server?.stop());

async function subscribed(destination, headers = {}) {
  const raw = await RawStomp.open(server.url, ['v12.stomp']);
  await raw.connect({ 'heart-beat': '0,0' });
  await raw.send('SUBSCRIBE', { id: 'sub-0', destination, receipt: 'subscribed', ...headers });
  await raw.waitForReceipt('subscribed');
  return raw;
}

const messageIds = (raw) => raw.frames.filter((f) => f.command === 'MESSAGE').map((f) => JSON.parse(f.body).id);

test('a STOMP reader that stops reading is disconnected, the one that keeps up gets everything, the slow one resumes', async (t) => {
  const sessionId = crypto.randomUUID();
  const destination = sessionDestination(sessionId);
  const keepingUp = await subscribed(destination);
  const slow = await subscribed(destination);
  const clientPort = slow.ws._socket.localPort;
  slow.ws._socket.pause();  // from now on the client reads nothing
  assert.ok(holdsConnection(server.pid, server.port, clientPort));

  const rss = sampleRss(server.pid);
  const started = performance.now();
  let published = 0;
  let droppedAt = null;
  const filler = 'x'.repeat(CONTENTS_LENGTH - 20);
  while (published < MAX_POSTS * PER_POST && performance.now() - started < DROP_LIMIT_MS) {
    const batch = Array.from({ length: PER_POST }, (_, i) => ({ sender: 'tenant', contents: `${published + i} ${filler}` }));
    const ids = await publishOk(server.url, KEY, sessionId, batch);
    published = ids[ids.length - 1];
    if (!holdsConnection(server.pid, server.port, clientPort)) {
      droppedAt = performance.now() - started;
      break;
    }
  }
  const memory = rss.stop();
  assert.notEqual(droppedAt, null, `the server still holds the slow STOMP connection after ${published} messages`);
  assert.ok(memory.peak - memory.first < RSS_GROWTH_LIMIT,
            `RSS grew by ${((memory.peak - memory.first) / MiB).toFixed(1)} MiB while a reader was stuck`);

  // The reader that kept up got every message, in order, once.
  await keepingUp.waitFor((r) => messageIds(r).includes(published), 20_000, `message ${published}`);
  assertIds(messageIds(keepingUp), 1, published, 'the STOMP reader that kept up');
  assert.ok(keepingUp.isOpen, keepingUp.describe());
  keepingUp.close();

  // The slow one reads what its socket still holds: a prefix without a gap, then the end.
  slow.ws._socket.resume();
  assert.ok(await slow.waitClosed(10_000), 'the slow connection ends once its buffered bytes are read');
  const got = messageIds(slow);
  const lastSeen = got.length ? got[got.length - 1] : 0;
  assertIds(got, 1, lastSeen, 'what the slow reader got before the disconnect');
  assert.ok(lastSeen < published, `the slow reader got ${lastSeen} of ${published}: it was not behind`);
  t.diagnostic(`dropped after ${Math.round(droppedAt)} ms and ${published} messages; it had read up to ${lastSeen}; `
               + `RSS ${(memory.first / MiB).toFixed(1)} -> peak ${(memory.peak / MiB).toFixed(1)} MiB`);

  // It resumes from its last id: what it missed (more than 1 MiB, within HISTORY_SIZE), then live.
  const resumed = await subscribed(destination, { 'x-since-id': String(lastSeen) });
  const [extra] = await publishOk(server.url, KEY, sessionId, { sender: 'tenant', contents: 'after the resume' });
  await resumed.waitFor((r) => messageIds(r).includes(extra), 20_000, `message ${extra}`);
  assertIds(messageIds(resumed), lastSeen + 1, extra, 'after resuming');
  resumed.close();
});
