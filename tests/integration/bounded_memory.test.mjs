// Memory is bounded by what is live (SPEC section 8; issue 11): an id that was only looked up
// leaves nothing behind. A million lookups of unknown session ids — STOMP SUBSCRIBE and
// UNSUBSCRIBE of /chat/{random id}, the lookup that used to remember every id — leave the
// server's RSS within 5 MiB of where it started.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, test } from 'node:test';

import { startServer } from './lib/server.mjs';
import { RawStomp, stompFrame } from './lib/clients.mjs';
import { rssBytes } from './lib/proc.mjs';

const MiB = 1024 * 1024;
const LOOKUPS = 1_000_000;
const WARM_UP = 50_000;              // allocator arenas, SQLite's cache, the threads' buffers
const CLIENTS = 4;
const PAIRS_PER_MESSAGE = 500;       // SUBSCRIBE + UNSUBSCRIBE pairs per WebSocket message (~45 KiB)
const RSS_GROWTH_LIMIT = 5 * MiB;

let server;

before(async () => {
  server = await startServer();
});

after(() => server?.stop());

/** Looks up `count` fresh random ids over one connection, a WebSocket message at a time. */
async function lookUp(raw, count, tag) {
  for (let done = 0, round = 0; done < count; round += 1) {
    const pairs = Math.min(PAIRS_PER_MESSAGE, count - done);
    let text = '';
    for (let i = 0; i < pairs; i += 1) {
      text += stompFrame('SUBSCRIBE', { id: 's', destination: `/chat/${crypto.randomUUID()}` });
      text += stompFrame('UNSUBSCRIBE', i === pairs - 1 ? { id: 's', receipt: `${tag}-${round}` } : { id: 's' });
    }
    const from = raw.frames.length;
    await raw.sendRaw(text);
    await raw.waitForFrame((f) => f.command === 'RECEIPT' || f.command === 'ERROR', 60_000, `round ${round}`, from);
    assert.ok(!raw.frames.some((f) => f.command === 'ERROR'), raw.describe());
    raw.frames.length = 0;  // keep the client's own memory flat
    raw.messages.length = 0;
    done += pairs;
  }
}

async function lookUpEverywhere(clients, total, tag) {
  await Promise.all(clients.map((raw, index) => lookUp(raw, total / clients.length, `${tag}${index}`)));
}

test('a million lookups of unknown session ids leave RSS within 5 MiB', async (t) => {
  const clients = await Promise.all(Array.from({ length: CLIENTS }, async () => {
    const raw = await RawStomp.open(server.url, ['v12.stomp']);
    await raw.connect({ 'heart-beat': '0,0' });
    return raw;
  }));
  await lookUpEverywhere(clients, WARM_UP, 'warm');
  const first = rssBytes(server.pid);
  const started = performance.now();
  await lookUpEverywhere(clients, LOOKUPS, 'run');
  const seconds = (performance.now() - started) / 1000;
  const last = rssBytes(server.pid);
  for (const raw of clients) raw.close();
  t.diagnostic(`${LOOKUPS} lookups in ${seconds.toFixed(1)} s; RSS ${(first / MiB).toFixed(1)} -> ${(last / MiB).toFixed(1)} MiB`);
  assert.ok(last - first < RSS_GROWTH_LIMIT,
            `RSS grew by ${((last - first) / MiB).toFixed(1)} MiB over ${LOOKUPS} lookups of unknown ids`);
});
