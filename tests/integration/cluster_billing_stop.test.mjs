// Cluster billing across a node's SIGTERM (SPEC 7 and 8, issue #10): what a node delivered in
// its last billing interval is claimed in Redis and reported to the tenant before it exits,
// each message once in the cluster. Real redis-server, PostgreSQL, two nodes, SSE viewers, a
// billing sink; BILLING_INTERVAL_MS is far beyond the test, so the only reports are those the
// nodes make when they stop. Raw messages (no id) too: the node counting them releases the
// session's raw lease at its stop, and the other counts those that came after.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';

import { openSse, pollUntil } from './lib/clients.mjs';
import { API_KEY, startCluster, waitRawSubscribers, waitSubscribers } from './lib/cluster.mjs';
import { startBillingSink } from './lib/billing_sink.mjs';
import { roomKeys } from './lib/handoff.mjs';
import { publishOk, sessionSsePath } from './lib/sessions.mjs';

/** A billing sink, and `nodes` nodes reporting to it with no billing interval within the test. */
async function billingCluster(nodes = 2) {
  const sink = await startBillingSink();
  const cluster = await startCluster({ nodes, env: { TENANT_BASE_URL: sink.url, BILLING_INTERVAL_MS: 600_000 } });
  return { sink, ...cluster };
}

/** Two nodes and a session with an SSE viewer on each, once `waitFor` (waitSubscribers, or
 *  waitRawSubscribers for the raw channel) sees both nodes subscribed in Redis. */
async function viewedOnBoth(waitFor) {
  const { sink, nodes, redis } = await billingCluster();
  const [a, b] = nodes;
  const sessionId = randomUUID();
  const onA = await openSse(a.url, sessionSsePath(sessionId));
  const onB = await openSse(b.url, sessionSsePath(sessionId));
  await waitFor(redis, sessionId, 2);
  return { sink, a, b, redis, sessionId, onA, onB };
}

/** SIGTERMs `node` and checks that it exited 0 within SPEC 8's 10 s. */
async function stopNode(node, what) {
  const stopped = await node.stop('SIGTERM');
  assert.equal(stopped.code, 0, `${what}: exit after SIGTERM: ${JSON.stringify(stopped)}\n${node.output()}`);
  assert.ok(stopped.elapsedMs < 10_000, `${what}: SIGTERM took ${stopped.elapsedMs} ms`);
}

/** The reports of `sessionId` the sink took, as [count, status] pairs, for failure messages. */
const reportsOf = (sink, sessionId) =>
  JSON.stringify(sink.attemptsFor(sessionId).map((r) => [r.body.count, r.status]));

test('SIGTERM of both nodes before any billing interval: each delivered message is reported once', async () => {
  const { sink, nodes, redis } = await billingCluster();
  const [a, b] = nodes;

  // `shared` has viewers on both nodes (each message delivered twice, to be billed once);
  // `onlyA` has a viewer on node A alone, so only A's last claim can report it.
  const shared = randomUUID();
  const onlyA = randomUUID();
  const sharedViewers = [await openSse(a.url, sessionSsePath(shared)), await openSse(b.url, sessionSsePath(shared))];
  const aloneViewer = await openSse(a.url, sessionSsePath(onlyA));
  await waitSubscribers(redis, shared, 2);
  await waitRawSubscribers(redis, shared, 2);
  await waitSubscribers(redis, onlyA, 1);

  const messages = 20;
  let raws = 0;
  for (let n = 1; n <= messages; n += 1) {
    await publishOk((n % 2 ? a : b).url, API_KEY, shared, { sender: 'host', contents: `m${n}` });
    if (n % 7 !== 0) continue;
    raws += 1;
    assert.equal(Number(await redis.command('PUBLISH', shared, `raw ${n}`)), 2, 'both nodes hear it');
  }
  const alone = 7;
  for (let n = 1; n <= alone; n += 1) {
    await publishOk((n % 2 ? a : b).url, API_KEY, onlyA, { sender: 'host', contents: `a${n}` });
  }
  await Promise.all(sharedViewers.map((v) => v.waitFor((r) => r.messages.length === messages + raws,
                                                          10_000, `${messages + raws} messages`)));
  await aloneViewer.waitForId(alone);
  assert.deepEqual(sink.requests, [], 'no billing interval has fired');

  await stopNode(a, 'node A');
  await stopNode(b, 'node B');
  assert.equal(sink.totalFor(shared), messages + raws, `shared session: ${reportsOf(sink, shared)}`);
  assert.equal(sink.totalFor(onlyA), alone, `node A's session: ${reportsOf(sink, onlyA)}`);
});

test('SIGTERM of one node while the other goes on: nothing counted twice, nothing lost', async () => {
  const { sink, a, b, redis, sessionId, onA, onB } = await viewedOnBoth(waitSubscribers);

  for (let n = 1; n <= 10; n += 1) await publishOk(b.url, API_KEY, sessionId, { sender: 'host', contents: `m${n}` });
  await Promise.all([onA, onB].map((v) => v.waitForId(10)));
  await stopNode(a, 'node A');
  assert.equal(sink.totalFor(sessionId), 10, `node A's last report: ${reportsOf(sink, sessionId)}`);

  // B delivered ids 1-10 too (A claimed them first), then 11-15 alone.
  for (let n = 11; n <= 15; n += 1) await publishOk(b.url, API_KEY, sessionId, { sender: 'host', contents: `m${n}` });
  await onB.waitForId(15);
  await stopNode(b, 'node B');
  assert.equal(sink.totalFor(sessionId), 15, `after node B's stop: ${reportsOf(sink, sessionId)}`);
});

test('raw messages across the SIGTERM of the node counting them: each counted once, none lost', async () => {
  const { sink, a, b, redis, sessionId, onA, onB } = await viewedOnBoth(waitRawSubscribers);

  /** Publishes raw messages from..to on the session's channel, heard by `viewers`' nodes. */
  const publishRaw = async (viewers, from, to) => {
    for (let n = from; n <= to; n += 1) {
      assert.equal(Number(await redis.command('PUBLISH', sessionId, `raw ${n}`)), viewers.length);
    }
    await Promise.all(viewers.map((v) => v.waitFor((r) => r.messages.length === to, 10_000, `${to} raw messages`)));
  };
  // Both nodes deliver 1-4; A's last claim, at its stop, counts them and releases the raw lease
  // at its mark (when 4 reached it).
  await publishRaw([onA, onB], 1, 4);
  await stopNode(a, 'node A');
  assert.equal(sink.totalFor(sessionId), 4, `node A's last report: ${reportsOf(sink, sessionId)}`);
  const keys = roomKeys(sessionId);
  assert.equal(await redis.command('GET', keys.rawBiller), null, 'A released the raw lease');
  const [markMs] = String(await redis.command('HGET', keys.claims, 'raw-mark')).split(' ');
  // B delivered 1-4 too (covered by A's mark), then 5-7 alone: its last claim counts those.
  // The boundary is a time (A's mark, its 10 ms bucket and the 20 ms skew guard), so 5-7 go
  // once the clock is past it; A's stop (about 40 ms) has nearly always passed it already.
  await pollUntil(() => Date.now() > Number(markMs) + 30, "the skew guard after A's mark", { intervalMs: 5 });
  await publishRaw([onB], 5, 7);
  await stopNode(b, 'node B');
  assert.equal(sink.totalFor(sessionId), 7, `after node B's stop: ${reportsOf(sink, sessionId)}`);
});

test('raw messages flowing while the node counting them stops: none counted twice, only the guard window missed', async (t) => {
  const { sink, a, b, redis, sessionId, onA, onB } = await viewedOnBoth(waitRawSubscribers);

  // Raw messages go on while A stops, each once B's viewer has the one before (a delivery tick
  // or so apart), so some reach B alone after A's subscription closed, some both.
  let published = 0;
  let publishing = true;
  const publisher = (async () => {
    while (publishing) {
      published += 1;
      await redis.command('PUBLISH', sessionId, `raw ${published}`);
      await onB.waitFor((r) => r.messages.length === published, 10_000, `raw ${published} on B`);
    }
  })();
  await onB.waitFor((r) => r.messages.length >= 10, 10_000, '10 raw messages on B');
  await stopNode(a, 'node A');
  const countedByA = sink.totalFor(sessionId);
  const [markMs] = String(await redis.command('HGET', roomKeys(sessionId).claims, 'raw-mark')).split(' ');
  assert.match(markMs, /^\d+$/, "A's last claim left its coverage mark");
  const settled = published + 10;
  await onB.waitFor((r) => r.messages.length >= settled, 10_000, `${settled} raw messages on B`);
  publishing = false;
  await publisher;
  await stopNode(b, 'node B');
  const countedByB = sink.totalFor(sessionId) - countedByA;

  // A counted what it delivered. B counts what reached it in a 10 ms bucket past A's mark and
  // the 20 ms skew guard; a raw text's messageTimestamp is its arrival on that node.
  const deliveredByA = new Set(onA.messages.map((m) => m.contents));
  const stampsOn = (viewer) => new Map(viewer.messages.map((m) => [m.contents, Date.parse(m.messageTimestamp)]));
  const [stampOnA, stampOnB] = [stampsOn(onA), stampsOn(onB)];
  const guardEnd = Number(markMs) + 20;
  const bucketOnB = (contents) => Math.floor(stampOnB.get(contents) / 10) * 10;
  const pastMark = [...stampOnB.keys()].filter((contents) => bucketOnB(contents) > guardEnd);
  const summary = `A counted ${countedByA} (its viewer got ${deliveredByA.size}), B ${countedByB} of ${published}; ` +
    `A's mark ${markMs}; ${reportsOf(sink, sessionId)}`;
  const skews = [...stampOnA].map(([contents, stamp]) => Math.abs(stampOnB.get(contents) - stamp));
  t.diagnostic(`${summary}; missed ${published - countedByA - countedByB}; ` +
    `the two nodes' stamps of one message differ by at most ${Math.max(...skews)} ms over ${skews.length}`);
  assert.equal(countedByA, deliveredByA.size, summary);
  assert.equal(countedByB, pastMark.length, summary);
  // None twice, unless the two nodes stamped it more than the guard apart (the documented
  // limit: a broker thread stalled that long, which a loaded or sanitized run can show).
  const twice = pastMark.filter((contents) => deliveredByA.has(contents));
  const twiceWithinGuard = twice.filter((contents) => Math.abs(stampOnB.get(contents) - stampOnA.get(contents)) <= 20);
  if (twice.length > 0) t.diagnostic(`counted twice, stamped more than 20 ms apart: ${twice}`);
  assert.deepEqual(twiceWithinGuard, [], `none twice within the guard: ${summary}`);
  // Missed: only those A did not deliver that reached B within the guard window after the mark:
  // 30 ms, in which the publisher fits 3 at most (every other one waits a whole 24 ms tick).
  const missed = [...stampOnB.keys()].filter((contents) => !deliveredByA.has(contents) && bucketOnB(contents) <= guardEnd);
  assert.equal(countedByA + countedByB - twice.length + missed.length, published, summary);
  assert.ok(missed.length <= 3, `at most 30 ms of raw messages: ${JSON.stringify(missed)}; ${summary}`);
});

test('SIGTERM while Redis is away: the last claims give up in time and the node exits 0', async () => {
  const { sink, nodes, redis } = await billingCluster(1);
  const [a] = nodes;
  const sessionId = randomUUID();
  const viewer = await openSse(a.url, sessionSsePath(sessionId));
  await waitSubscribers(redis, sessionId, 1);
  await publishOk(a.url, API_KEY, sessionId, { sender: 'host', contents: 'unclaimed' });
  await viewer.waitForId(1);

  await redis.killHard();
  await stopNode(a, 'node A');
  assert.match(a.output(), /1 ids and 0 raw messages delivered here and not claimed/);
  assert.equal(sink.totalFor(sessionId), 0, 'nothing claimed, nothing reported');
});
