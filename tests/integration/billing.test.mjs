// Usage reporting (SPEC section 7, and SIGTERM of section 8) against a local billing sink
// (lib/billing_sink.mjs): each message delivered to at least one listener is counted once however
// many listeners it had, a session nobody listens to is not reported, a failed report (500 or a
// refused connection) is carried into the next one and never counted twice after a 2xx, and
// SIGTERM reports what is pending before the process exits.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import net from 'node:net';
import { before, describe, test } from 'node:test';

import { startServer } from './lib/server.mjs';
import { request } from './lib/api.mjs';
import { connectStomp, openSse, pollUntil, range, sleep } from './lib/clients.mjs';
import { assertIds } from './lib/messages.mjs';
import { startBillingSink } from './lib/billing_sink.mjs';
import {
  publishOk, sessionDestination, sessionSsePath, subscribeConfirmed,
} from './lib/sessions.mjs';

const KEY = crypto.randomBytes(24).toString('hex');
const INTERVAL_MS = 200;

/** A server reporting to `sink` every `intervalMs`. */
function startReportingServer(sink, intervalMs = INTERVAL_MS) {
  return startServer({
    env: {
      LIVECHAT_API_KEY: KEY, FLUSH_INTERVAL_MS: 50, TENANT_BASE_URL: sink.url, BILLING_INTERVAL_MS: intervalMs,
    },
  });
}

let healthySink;
let healthy;     // its sink always answers 200
let failingSink;
let failing;     // its sink answers 500 for a while
let refusedSink;
let refused;     // its sink goes away for a while

before(async () => {
  [healthySink, failingSink, refusedSink] = await Promise.all([
    startBillingSink(), startBillingSink(), startBillingSink(),
  ]);
  [healthy, failing, refused] = await Promise.all([
    startReportingServer(healthySink), startReportingServer(failingSink), startReportingServer(refusedSink),
  ]);
});

const newSession = () => crypto.randomUUID();

/**
 * `sse` SSE viewers and `stomp` anonymous STOMP viewers of a session, all listening when this
 * resolves: {all (their collectors), waitForCount(n), close()}.
 */
async function watch(server, sessionId, { sse = 0, stomp = 0 } = {}) {
  const streams = await Promise.all(range(1, sse).map(() => openSse(server.url, sessionSsePath(sessionId))));
  const connections = await Promise.all(range(1, stomp).map(() => connectStomp(server.url, {})));
  const subscriptions = [];
  for (const connection of connections) {
    subscriptions.push(await subscribeConfirmed(connection, sessionDestination(sessionId)));
  }
  const all = [...streams, ...subscriptions];
  return {
    all,
    connections,
    waitForCount: (count, timeoutMs = 5000) => Promise.all(all.map((viewer) => viewer.waitForCount(count, timeoutMs))),
    async close() {
      for (const stream of streams) stream.close();
      for (const connection of connections) await connection.close();
    },
  };
}

let messageCounter = 0;
const messages = (count) => range(1, count).map(() => {
  messageCounter += 1;
  return { sender: 'tenant', contents: `billable ${messageCounter}` };
});

/**
 * Publishes bursts to a session, a short pause between them: a number n is n single messages
 * published at once, an array [n] one publish of n. Resolves to the number of messages.
 */
async function publishBursts(server, sessionId, bursts, pauseMs = 150) {
  let total = 0;
  for (const burst of bursts) {
    if (Array.isArray(burst)) {
      await publishOk(server.url, KEY, sessionId, messages(burst[0]));
      total += burst[0];
    } else {
      await Promise.all(messages(burst).map((message) => publishOk(server.url, KEY, sessionId, message)));
      total += burst;
    }
    await sleep(pauseMs);  // the bursts spread over report intervals: pacing, not synchronization
  }
  return total;
}

/** Asserts what SPEC 7 says of every report a sink received: POST, JSON {sessionId, count>0}. */
function assertReportShapes(sink) {
  for (const report of sink.requests) {
    const where = JSON.stringify({ ...report, raw: undefined });
    assert.equal(report.method, 'POST', where);
    assert.equal(report.path, '/api/v1/billings', where);
    assert.match(report.contentType, /^application\/json\b/, where);
    assert.deepEqual(Object.keys(report.body ?? {}).sort(), ['count', 'sessionId'], `report body: ${report.raw}`);
    assert.ok(Number.isInteger(report.body.count) && report.body.count > 0, `count: ${report.raw}`);
  }
}

/**
 * Asserts that the accepted total of `sessionId` is still `total` after two more of the
 * reporter's rounds, each fenced by a message to a watched session of its own, published once
 * the fence before was reported. Rounds run one at a time and post one report after another, so
 * once the second fence is reported, the round that reported the first has ended, and with it
 * whatever was pending for `sessionId` when this was called.
 */
async function assertTotalStays(server, sink, sessionId, total) {
  for (let round = 0; round < 2; round += 1) {
    const fence = newSession();
    const viewer = await watch(server, fence, { sse: 1 });
    try {
      await publishOk(server.url, KEY, fence, messages(1));
      await viewer.waitForCount(1);
      await sink.waitForTotal(fence, 1);
    } finally {
      await viewer.close();
    }
  }
  assert.equal(sink.totalFor(sessionId), total,
               `the accepted total of ${sessionId} moved from ${total}: ${JSON.stringify(sink.attemptsFor(sessionId).map((r) => [r.body.count, r.status]))}`);
}

/** Accepted reports of `sessionId` from the index `from` of sink.requests on. */
const acceptedSince = (sink, sessionId, from) => sink.requests.slice(from)
  .filter((r) => r.body?.sessionId === sessionId && r.status >= 200 && r.status < 300).map((r) => r.body.count);

/** The value of a counter or gauge on GET /metrics (summed over its labels), or undefined. */
async function metric(server, name) {
  const res = await request(server.url, 'GET', '/metrics');
  assert.equal(res.status, 200);
  const values = [...res.text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))].map((m) => Number(m[1]));
  return values.length ? values.reduce((a, b) => a + b, 0) : undefined;
}

describe('counting', () => {
  test('4 viewers, several bursts: the reports add up to the messages, each once; no listener, no report', async () => {
    const watched = newSession();
    const alsoWatched = newSession();
    const unwatched = newSession();
    const viewers = await watch(healthy, watched, { sse: 3, stomp: 1 });
    const single = await watch(healthy, alsoWatched, { sse: 1 });
    try {
      const [total, otherTotal] = await Promise.all([
        publishBursts(healthy, watched, [[10], 5, [20], 7, [1], 14]),
        publishBursts(healthy, alsoWatched, [3, [4]]),
        publishBursts(healthy, unwatched, [[10], 5]),
      ]);
      assert.equal(total, 57);
      await viewers.waitForCount(total);
      await single.waitForCount(otherTotal);
      for (const viewer of viewers.all) assertIds(viewer.ids, 1, total, 'a viewer');

      await healthySink.waitForTotal(watched, total);
      await healthySink.waitForTotal(alsoWatched, otherTotal);
      await assertTotalStays(healthy, healthySink, watched, total);
      assert.equal(healthySink.totalFor(alsoWatched), otherTotal);
      assert.deepEqual(healthySink.attemptsFor(unwatched), [], 'a session without listeners is not reported');
      assertReportShapes(healthySink);
    } finally {
      await viewers.close();
      await single.close();
    }
  });

  test('messages published while nobody listens are not counted', async () => {
    const sessionId = newSession();
    const first = await watch(healthy, sessionId, { stomp: 1 });
    let second;
    try {
      await publishBursts(healthy, sessionId, [[5]]);
      await first.waitForCount(5);
      await healthySink.waitForTotal(sessionId, 5);

      const [subscription] = first.all;
      const [connection] = first.connections;
      let unsubscribed = false;
      connection.client.watchForReceipt('unsub-billing', () => { unsubscribed = true; connection.notify(); });
      subscription.handle.unsubscribe({ receipt: 'unsub-billing' });
      await connection.waitFor(() => unsubscribed, 3000, 'the RECEIPT of UNSUBSCRIBE');
      await publishBursts(healthy, sessionId, [[7], 2]);
      await assertTotalStays(healthy, healthySink, sessionId, 5);

      second = await watch(healthy, sessionId, { sse: 1 });
      await publishBursts(healthy, sessionId, [[3]]);
      await second.waitForCount(3);
      await healthySink.waitForTotal(sessionId, 8);
      await assertTotalStays(healthy, healthySink, sessionId, 8);
      assertReportShapes(healthySink);
    } finally {
      await first.close();
      await second?.close();
    }
  });
});

describe('failures', () => {
  test('the sink answers 500 for a while: counts are carried, the total ends exact, nothing twice', async () => {
    const sessionId = newSession();
    const viewers = await watch(failing, sessionId, { sse: 2, stomp: 1 });
    try {
      const before = await publishBursts(failing, sessionId, [[10]]);
      await viewers.waitForCount(before);
      await failingSink.waitForTotal(sessionId, before);

      failingSink.failWith(500);
      const failedFrom = failingSink.requests.length;
      const during = await publishBursts(failing, sessionId, [[12], 8]);
      await viewers.waitForCount(before + during);
      // Two failed rounds after everything was delivered: all of it was pending and refused twice.
      const deliveredAt = failingSink.requests.length;
      const failedAfterDelivery = () => failingSink.requests.slice(deliveredAt)
        .filter((r) => r.body?.sessionId === sessionId && r.status === 500);
      const deadline = performance.now() + 10_000;
      while (failedAfterDelivery().length < 2) {
        assert.ok(performance.now() < deadline, 'no two failed reports within 10 s of the outage');
        await sleep(20);  // a poll of the sink
      }
      for (const report of failedAfterDelivery()) {
        assert.equal(report.body.count, during, 'a failed count is carried into the next report');
      }
      assert.ok(failingSink.requests.slice(failedFrom).every((r) => r.body?.sessionId !== sessionId || r.status === 500));

      const recoveredFrom = failingSink.requests.length;
      failingSink.succeed();
      await failingSink.waitForTotal(sessionId, before + during, { timeoutMs: 15_000 });
      assert.deepEqual(acceptedSince(failingSink, sessionId, recoveredFrom), [during],
                       'one report after the recovery carries everything');
      await assertTotalStays(failing, failingSink, sessionId, before + during);
      assertReportShapes(failingSink);
    } finally {
      failingSink.succeed();
      await viewers.close();
    }
  });

  test('the sink refuses connections for a while, then is back: the total ends exact, nothing twice', async () => {
    const sessionId = newSession();
    const viewers = await watch(refused, sessionId, { sse: 1, stomp: 1 });
    try {
      const before = await publishBursts(refused, sessionId, [[6]]);
      await viewers.waitForCount(before);
      await refusedSink.waitForTotal(sessionId, before);
      const failuresBefore = (await metric(refused, 'livechat_billing_failures_total')) ?? 0;

      await refusedSink.refuse();
      const during = await publishBursts(refused, sessionId, [[9], 11]);
      await viewers.waitForCount(before + during);
      await pollUntil(async () => await metric(refused, 'livechat_billing_failures_total') > failuresBefore,
                      'livechat_billing_failures_total to grow while the sink is down', { timeoutMs: 10_000 });

      const backFrom = refusedSink.requests.length;
      await refusedSink.accept();
      await refusedSink.waitForTotal(sessionId, before + during, { timeoutMs: 15_000 });
      assert.deepEqual(acceptedSince(refusedSink, sessionId, backFrom), [during],
                       'one report after the sink is back carries everything');
      await assertTotalStays(refused, refusedSink, sessionId, before + during);
      assertReportShapes(refusedSink);
    } finally {
      await refusedSink.accept();
      await viewers.close();
    }
  });
});

describe('SIGTERM', () => {
  test('publish, SIGTERM at once: the messages reach the viewers and the sink gets the full count', async () => {
    const sink = await startBillingSink();
    const server = await startReportingServer(sink, 600_000);  // no report but the final one
    const sessionId = newSession();
    const unwatched = newSession();
    const viewers = await watch(server, sessionId, { sse: 2, stomp: 1 });
    try {
      await Promise.all([
        publishOk(server.url, KEY, sessionId, messages(25)),
        ...messages(15).map((message) => publishOk(server.url, KEY, sessionId, message)),
        publishOk(server.url, KEY, unwatched, messages(5)),
      ]);
      const stopped = await server.stop('SIGTERM');
      assert.equal(stopped.code, 0, `exit after SIGTERM: ${JSON.stringify(stopped)}`);
      assert.ok(stopped.elapsedMs < 10_000, `SIGTERM took ${stopped.elapsedMs} ms`);
      for (const viewer of viewers.all) assertIds(viewer.ids, 1, 40, 'what a viewer got before the shutdown');
      assert.equal(sink.totalFor(sessionId), 40,
                   `reported before exit: ${JSON.stringify(sink.attemptsFor(sessionId).map((r) => [r.body.count, r.status]))}`);
      assert.deepEqual(sink.attemptsFor(unwatched), [], 'a session without listeners is not reported');
      assertReportShapes(sink);
    } finally {
      await viewers.close();
    }
  });

  test('SIGTERM while backing off after failures: the carried count is reported before exit', async () => {
    const sink = await startBillingSink();
    const server = await startReportingServer(sink);
    const sessionId = newSession();
    const viewers = await watch(server, sessionId, { sse: 1, stomp: 1 });
    try {
      sink.failWith(500);
      const total = await publishBursts(server, sessionId, [[10], 4], 50);
      await viewers.waitForCount(total);
      const deadline = performance.now() + 10_000;
      while (sink.attemptsFor(sessionId).filter((r) => r.body.count === total).length < 2) {
        assert.ok(performance.now() < deadline, 'no two failed reports of everything within 10 s');
        await sleep(20);  // a poll of the sink
      }
      sink.succeed();  // the next round is at least 4 intervals away: only SIGTERM reports now
      const stopped = await server.stop('SIGTERM');
      assert.equal(stopped.code, 0, `exit after SIGTERM: ${JSON.stringify(stopped)}`);
      assert.equal(sink.totalFor(sessionId), total,
                   `reports: ${JSON.stringify(sink.attemptsFor(sessionId).map((r) => [r.body.count, r.status]))}`);
      assertReportShapes(sink);
    } finally {
      await viewers.close();
    }
  });

  test('SIGTERM with a tenant that never answers: the process still exits 0 in time', async () => {
    const received = [];
    const sockets = new Set();
    const silent = net.createServer((socket) => {  // reads requests, never answers
      sockets.add(socket);
      socket.on('data', (chunk) => received.push(chunk.toString('latin1')));
      socket.on('error', () => {});
    });
    await new Promise((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const server = await startServer({
      env: {
        LIVECHAT_API_KEY: KEY, TENANT_BASE_URL: `http://127.0.0.1:${silent.address().port}`,
        BILLING_INTERVAL_MS: 600_000,
      },
    });
    const sessionId = newSession();
    const viewers = await watch(server, sessionId, { sse: 1 });
    try {
      await publishOk(server.url, KEY, sessionId, messages(5));
      await viewers.waitForCount(5);
      const stopped = await server.stop('SIGTERM');
      assert.equal(stopped.code, 0, `exit after SIGTERM: ${JSON.stringify(stopped)}`);
      assert.ok(stopped.elapsedMs < 10_000, `SIGTERM took ${stopped.elapsedMs} ms with a silent tenant`);
      assert.match(received.join(''), /^POST \/api\/v1\/billings HTTP\/1\.1\r\n/, 'the final report was tried');
      // docs/sessions.md: what could not be reported is logged with the number of messages.
      assert.match(server.output(), /\b5 delivered messages not reported/, 'the loss is logged');
    } finally {
      await viewers.close();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
