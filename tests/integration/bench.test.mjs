// `livechat bench`, the load generator, run against a real livechat server: its counts must
// match what the server did (every acknowledged message delivered once to every subscriber),
// over each of livechat's protocols and publishers, in one process or several, and its report
// must say what went wrong when something does (refused subscribers, refused messages, streams
// that ended). Sizes are small: this checks the instrument, BENCHMARKS.md has the measurements.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import http from 'node:http';
import { before, describe, test } from 'node:test';

import { binaryPath, startServer } from './lib/server.mjs';
import { createRoom, newUser, request } from './lib/api.mjs';
import { pollUntil } from './lib/clients.mjs';
import { endSession } from './lib/sessions.mjs';

const KEY = crypto.randomBytes(24).toString('hex');
const BENCH_TIMEOUT_MS = 60_000;

let server;  // one user may publish 200 messages a second here
let limited; // MAX_VIEWERS_PER_SESSION=10

before(async () => {
  [server, limited] = await Promise.all([
    startServer({ env: { LIVECHAT_API_KEY: KEY, RATE_LIMIT_PER_S: 1000, RATE_LIMIT_BURST: 1000 } }),
    startServer({ env: { LIVECHAT_API_KEY: KEY, MAX_VIEWERS_PER_SESSION: 10 } }),
  ]);
});

/** Runs `livechat bench --json` with `args`; resolves to {code, report, stderr}. */
function runBench(target, args, { whileRunning } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(binaryPath(), [
      'bench', '--json', '--url', target.url, '--server-pid', String(target.pid), ...args,
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => { stdout += chunk; });
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    const timer = setTimeout(() => child.kill('SIGKILL'), BENCH_TIMEOUT_MS);
    child.once('error', reject);
    whileRunning?.();
    child.once('close', (code) => {
      clearTimeout(timer);
      let report = null;
      try { report = JSON.parse(stdout); } catch { /* asserted by the caller */ }
      resolve({ code, report, stderr, stdout });
    });
  });
}

function assertEverythingDelivered(report, subscribers, messages) {
  assert.equal(report.connections.made, subscribers, JSON.stringify(report.connections));
  assert.equal(report.connections.failed, 0);
  assert.equal(report.connections.dropped, 0);
  assert.equal(report.messages.acked, messages, JSON.stringify(report.messages));
  assert.equal(report.messages.failed, 0);
  assert.equal(report.deliveries.expected, subscribers * messages);
  assert.equal(report.deliveries.received, subscribers * messages);
  assert.equal(report.deliveries.missing, 0);
  assert.equal(report.deliveries.duplicate, 0);
  assert.equal(report.deliveries.unexpected, 0);
  // Each message waits for a tick (24 ms), so no latency can be 0, and percentiles are ordered.
  const latency = report.latency_ms;
  assert.ok(latency.p50 > 0 && latency.p50 <= latency.p99 && latency.p99 <= latency.max, JSON.stringify(latency));
  assert.ok(report.deliveries.per_second > 0);
}

describe('livechat bench against livechat', () => {
  test('SSE viewers of a session, tenant API publisher: every message once to every viewer', async () => {
    const { code, report, stderr } = await runBench(server, [
      '--protocol', 'sse', '--connections', '200', '--messages', '100', '--rate', '200',
      '--publish', 'tenant', '--api-key', KEY, '--hold-ms', '200', '--label', 'sse',
    ]);
    assert.equal(code, 0, stderr);
    assert.equal(report.label, 'sse');
    assert.equal(report.protocol, 'sse');
    assert.equal(report.publish, 'tenant');
    assertEverythingDelivered(report, 200, 100);
    assert.ok(report.connect_ms.p50 > 0);
    assert.equal(report.server.pids[0], server.pid);
    assert.ok(report.server.rss_connected_kib > 0);
    assert.ok(report.server.cpu_seconds >= 0);
    assert.ok(report.bench.cpu_seconds > 0);
  });

  test('the subscribers spread over several processes and source addresses add up', async () => {
    const { code, report, stderr } = await runBench(server, [
      '--protocol', 'sse', '--connections', '150', '--processes', '3', '--source-addresses', '3',
      '--threads', '1', '--messages', '40', '--publish', 'tenant', '--api-key', KEY, '--hold-ms', '100',
    ]);
    assert.equal(code, 0, stderr);
    assert.equal(report.bench.processes, 3);
    assertEverythingDelivered(report, 150, 40);
  });

  test('STOMP subscribers of a room, with REST and with STOMP SEND publishers', async () => {
    const member = await newUser(server.url, 'bench');
    const room = await createRoom(server.url, member.accessToken, 'bench room');
    for (const publisher of ['rest', 'stomp']) {
      const { code, report, stderr } = await runBench(server, [
        '--protocol', 'stomp', '--token', member.accessToken, '--room', room.chatRoomId,
        '--connections', '50', '--messages', '60', '--rate', '100', '--publish', publisher,
        '--hold-ms', '100',
      ]);
      assert.equal(code, 0, stderr);
      assert.equal(report.publish, publisher);
      assertEverythingDelivered(report, 50, 60);
    }
  });

  test('anonymous STOMP viewers of a session', async () => {
    const { code, report, stderr } = await runBench(server, [
      '--protocol', 'stomp', '--connections', '40', '--messages', '30', '--publish', 'tenant',
      '--api-key', KEY, '--hold-ms', '100',
    ]);
    assert.equal(code, 0, stderr);
    assertEverythingDelivered(report, 40, 30);
  });

  test('idle: connections only, and the server memory they take', async () => {
    const { code, report, stderr } = await runBench(server, [
      '--protocol', 'stomp', '--connections', '300', '--messages', '0', '--hold-ms', '300',
    ]);
    assert.equal(code, 0, stderr);
    assert.equal(report.publish, 'none');
    assert.equal(report.connections.made, 300);
    assert.equal(report.deliveries.expected, 0);
    assert.equal(typeof report.server.rss_per_connection_bytes, 'number');
  });

  test('subscribers the server refuses are counted as failed, with the reason', async () => {
    const { code, report, stderr } = await runBench(limited, [
      '--protocol', 'sse', '--connections', '20', '--messages', '10', '--publish', 'tenant',
      '--api-key', KEY, '--hold-ms', '100',
    ]);
    assert.equal(code, 0, stderr);
    assert.equal(report.connections.made, 10);
    assert.equal(report.connections.failed, 10);
    assert.match(report.connections.first_failure, /HTTP 503/);
    assertEverythingDelivered({ ...report, connections: { ...report.connections, failed: 0 } }, 10, 10);
  });

  /** The server's gauge of open SSE streams. */
  async function sseConnections() {
    const res = await request(server.url, 'GET', '/metrics');
    return Number(/^livechat_connections\{transport="sse"\} (\d+)$/m.exec(res.text)?.[1]);
  }

  test('a session ended during the hold: streams dropped, messages refused, nothing expected', async () => {
    const session = crypto.randomUUID();
    await pollUntil(async () => await sseConnections() === 0, 'no SSE connection left on /metrics');
    const { code, report, stderr } = await runBench(server, [
      '--protocol', 'sse', '--room', session, '--connections', '30', '--messages', '5',
      '--publish', 'tenant', '--api-key', KEY, '--hold-ms', '1500',
    ], {
      whileRunning: async () => {
        // Once the bench's 30 streams are all open (the server's gauge says so), end the session.
        await pollUntil(async () => await sseConnections() === 30, '30 SSE connections on /metrics',
                        { timeoutMs: 10_000 });
        await endSession(server.url, KEY, session);
      },
    });
    assert.equal(code, 0, stderr);
    assert.equal(report.connections.made, 30);
    assert.equal(report.connections.dropped, 30);
    assert.equal(report.messages.acked, 0);
    assert.equal(report.messages.failed, 5);
    assert.match(report.messages.first_failure, /HTTP 409/);
    assert.equal(report.deliveries.expected, 0);
  });

  test('a publish endpoint slower than the schedule: the report says the publisher fell behind, and counts the wait', async () => {
    // An HTTP endpoint that answers each POST after 40 ms; one connection, 100 messages/s due.
    const slow = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => setTimeout(() => res.writeHead(202).end(), 40));
    });
    await new Promise((resolve) => slow.listen(0, '127.0.0.1', resolve));
    const publishUrl = `http://127.0.0.1:${slow.address().port}/pub`;
    const run = (latencyFrom) => runBench(server, [
      '--protocol', 'sse', '--connections', '5', '--messages', '20', '--rate', '100',
      '--publish', 'http', '--publish-url', publishUrl, '--publish-connections', '1',
      '--latency-from', latencyFrom, '--hold-ms', '100', '--drain-ms', '100',
    ]);
    try {
      const due = await run('due');
      assert.equal(due.code, 0, due.stderr);
      const messages = due.report.messages;
      assert.equal(messages.acked, 20, JSON.stringify(messages));
      assert.equal(messages.offered_per_s, 100);
      // 20 answers of 40 ms each take 800 ms: at most 25 messages a second got out.
      assert.ok(messages.achieved_per_s < 30, JSON.stringify(messages));
      assert.equal(messages.behind_schedule, true);
      assert.ok(messages.lag_max_ms > 500, JSON.stringify(messages));
      // From the due time, the last acknowledgement waited for the whole queue before it.
      assert.ok(messages.ack_p99_ms > messages.lag_max_ms, JSON.stringify(messages));
      assert.equal(due.report.latency_from, 'due');

      const sent = await run('sent');
      assert.equal(sent.code, 0, sent.stderr);
      // Counted from the send, the same wait disappears: each answer took about 40 ms.
      assert.equal(sent.report.messages.behind_schedule, true);
      assert.ok(sent.report.messages.ack_p99_ms < messages.ack_p99_ms / 4, JSON.stringify(sent.report.messages));
      assert.equal(sent.report.latency_from, 'sent');
    } finally {
      slow.close();
    }
  });

  test('nothing to connect to: exit 1 and the reason', async () => {
    const { code, report } = await runBench({ url: 'http://127.0.0.1:1', pid: server.pid }, [
      '--protocol', 'sse', '--connections', '5', '--messages', '0', '--connect-timeout-ms', '2000',
    ]);
    assert.equal(code, 1);
    assert.equal(report.connections.failed, 5);
    assert.match(report.connections.first_failure, /connect/);
  });

  test('bad options: exit 2 and a message naming the option', async () => {
    const { code, stderr } = await runBench(server, ['--protocol', 'carrier-pigeon']);
    assert.equal(code, 2);
    assert.match(stderr, /--protocol/);
  });
});
