// Acknowledged means kept (SPEC section 5): every message that got its 201 before a kill -9 (or a
// SIGTERM) of the server is in the history after a restart on the same DATA_DIR, and ids go on
// from there with no gap and no repeat.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { makeTempDir, randomSecret, startServer } from './lib/server.mjs';
import { createRoom, joinRoom, newUser } from './lib/api.mjs';
import { openRawSse, openSse, sleep } from './lib/clients.mjs';
import { assertIds, assertSseBatches, fullHistory, postMessage, sendMessage } from './lib/messages.mjs';

const NO_LIMIT = { RATE_LIMIT_PER_S: 100000, RATE_LIMIT_BURST: 100000 };
const PUBLISHERS = 8;

/**
 * Posts from `PUBLISHERS` loops until `stopWhen()` has been called; resolves to the Messages
 * acknowledged with 201 (a request cut off by the server's death is simply not acknowledged).
 */
function loadUntilStopped(url, senders, roomId, round) {
  let running = true;
  const acked = [];
  const loops = Array.from({ length: PUBLISHERS }, async (_, loop) => {
    const sender = senders[loop % senders.length];
    for (let n = 1; running; n += 1) {
      let res;
      try {
        res = await postMessage(url, sender.accessToken, roomId, `round ${round} loop ${loop} #${n}`);
      } catch {
        return;  // the server is gone
      }
      // A request read after SIGTERM is refused with 503: not acknowledged, so not counted.
      if (res.status === 503 && res.json?.code === 'UNAVAILABLE') return;
      if (res.status !== 201) throw new Error(`POST: ${res.status} ${res.text}`);
      acked.push(res.json);
    }
  });
  const done = Promise.all(loops);
  return {
    acked,
    async waitForAcked(count, timeoutMs = 10_000) {
      const deadline = performance.now() + timeoutMs;
      while (acked.length < count) {
        if (performance.now() > deadline) throw new Error(`only ${acked.length} of ${count} acknowledged`);
        await sleep(2);  // a poll of `acked`
      }
    },
    async finish() {
      running = false;
      await done;
      return acked;
    },
  };
}

/** Asserts the history is 1..max with every acknowledged Message in it as acknowledged. */
function assertKept(history, acked, what) {
  const lastId = history.length ? history[history.length - 1].id : 0;
  assertIds(history.map((m) => m.id), 1, lastId, `${what}: history ids`);
  const byId = new Map(history.map((m) => [m.id, m]));
  const lost = acked.filter((m) => !byId.has(m.id));
  assert.deepEqual(lost.map((m) => m.id), [], `${what}: acknowledged but lost`);
  for (const message of acked) assert.deepEqual(byId.get(message.id), message, `${what}: kept as acknowledged`);
  return lastId;
}

test('messages acknowledged right before kill -9 are all kept, and ids go on after restarts', async (t) => {
  const dataDir = await makeTempDir();
  const jwtSecret = randomSecret();
  let server = await startServer({ dataDir, jwtSecret, env: NO_LIMIT });
  const [alice, bob] = await Promise.all([newUser(server.url, 'alice'), newUser(server.url, 'bob')]);
  const { chatRoomId: roomId } = await createRoom(server.url, alice.accessToken, 'kill -9');
  assert.equal((await joinRoom(server.url, bob.accessToken, roomId)).status, 200);

  const allAcked = [];
  let lastId = 0;
  for (const round of [1, 2]) {
    const load = loadUntilStopped(server.url, [alice, bob], roomId, round);
    await load.waitForAcked(200);
    // kill -9 with requests in flight: no chance to flush anything.
    const killed = await server.kill9();
    assert.equal(killed.signal, 'SIGKILL');
    const acked = await load.finish();
    allAcked.push(...acked);
    const ids = acked.map((m) => m.id);
    assert.equal(new Set(ids).size, ids.length, `round ${round}: an id was given twice`);
    assert.ok(Math.min(...ids) === lastId + 1 || acked.length === 0,
              `round ${round}: ids went on from ${lastId}, first acknowledged ${Math.min(...ids)}`);

    server = await startServer({ dataDir, jwtSecret, env: NO_LIMIT });
    const history = await fullHistory(server.url, alice.accessToken, roomId);
    lastId = assertKept(history, allAcked, `after kill -9 #${round}`);
    assert.ok(lastId >= Math.max(...ids), `history ends at ${lastId}, before acknowledged ${Math.max(...ids)}`);
    t.diagnostic(`round ${round}: ${acked.length} acknowledged, up to id ${Math.max(...ids)}; ` +
                 `history ends at ${lastId}`);
  }

  // Ids go on from the last kept one, and a reader can resume from before the restart.
  const resumed = await openSse(server.url, `/chatrooms/${roomId}/events`,
                                { token: bob.accessToken, lastEventId: lastId - 5 });
  try {
    const next = await sendMessage(server.url, alice.accessToken, roomId, 'after the restarts');
    assert.equal(next.id, lastId + 1, 'the next id after the restart');
    await resumed.waitForId(next.id);
    assertIds(resumed.ids, lastId - 4, lastId + 1, 'resumed across the restart');
    assertSseBatches(resumed.batches, roomId);
  } finally {
    resumed.close();
  }
});

test('SIGTERM under load: exit 0 within 10 s, readers see the end, acknowledged messages kept', async () => {
  const dataDir = await makeTempDir();
  const jwtSecret = randomSecret();
  let server = await startServer({ dataDir, jwtSecret, env: NO_LIMIT });
  const alice = await newUser(server.url, 'alice');
  const { chatRoomId: roomId } = await createRoom(server.url, alice.accessToken, 'sigterm');
  const reader = await openRawSse(server.url, `/chatrooms/${roomId}/events?access_token=${alice.accessToken}`);
  try {
    const load = loadUntilStopped(server.url, [alice], roomId, 1);
    await load.waitForAcked(100);
    const stopped = await server.stop('SIGTERM');
    const acked = await load.finish();
    assert.equal(stopped.signal, null, `ended by signal ${stopped.signal}`);
    assert.equal(stopped.code, 0);
    assert.ok(stopped.elapsedMs < 10_000, `took ${Math.round(stopped.elapsedMs)} ms`);
    assert.ok(await reader.waitEnded(1000), 'the SSE response ended');

    server = await startServer({ dataDir, jwtSecret, env: NO_LIMIT });
    const history = await fullHistory(server.url, alice.accessToken, roomId);
    const lastId = assertKept(history, acked, 'after SIGTERM');
    assert.equal((await sendMessage(server.url, alice.accessToken, roomId, 'next')).id, lastId + 1);
  } finally {
    reader.close();
  }
});
