// A tenant's billing endpoint for integration tests (SPEC.md section 7): a Node HTTP server on
// a free 127.0.0.1 port that records every POST /api/v1/billings and answers 200 — or the
// status it was told to fail with, or nothing at all while it is down (connections refused).
//
//   const sink = await startBillingSink();
//   const server = await startServer({ env: { TENANT_BASE_URL: sink.url, BILLING_INTERVAL_MS: 100 } });
//   …deliver messages…
//   await sink.waitForTotal('live-1', 3);
//
// Only reports answered 2xx count in totalFor(): those are the ones the server may forget.
// The sink closes itself when the test file ends.

import http from 'node:http';
import { after } from 'node:test';

const BILLINGS_PATH = '/api/v1/billings';
const sinks = new Set();

class BillingSink {
  #server = null;
  #port = 0;
  #failStatus = 0;  // 0: answer 200

  /** Every request received: {method, path, contentType, body (parsed or null), raw, status, at}. */
  requests = [];

  /** The base URL to give the server as TENANT_BASE_URL. */
  get url() {
    return `http://127.0.0.1:${this.#port}`;
  }

  get port() {
    return this.#port;
  }

  /** True while the sink accepts connections. */
  get up() {
    return this.#server !== null;
  }

  /** Reports received and answered 2xx, in order: [{sessionId, count}]. */
  get accepted() {
    return this.requests.filter((r) => r.status >= 200 && r.status < 300).map((r) => r.body);
  }

  /** Answers every report from now on with `status` (default 500). */
  failWith(status = 500) {
    this.#failStatus = status;
  }

  /** Answers 200 again. */
  succeed() {
    this.#failStatus = 0;
  }

  /** Closes the port and every open connection: connections are refused until accept(). */
  async refuse() {
    if (!this.#server) return;
    const server = this.#server;
    this.#server = null;
    const closed = new Promise((resolve) => server.close(resolve));
    server.closeAllConnections();
    await closed;
  }

  /** Listens again, on the same port. */
  async accept() {
    if (this.#server) return;
    await this.#listen(this.#port);
  }

  /** Sum of `count` over the reports of `sessionId` answered 2xx. */
  totalFor(sessionId) {
    return this.accepted
      .filter((report) => report.sessionId === sessionId)
      .reduce((sum, report) => sum + report.count, 0);
  }

  /** Reports of `sessionId` received, answered or not. */
  attemptsFor(sessionId) {
    return this.requests.filter((r) => r.body?.sessionId === sessionId);
  }

  /**
   * Resolves once totalFor(sessionId) equals `total`; rejects after timeoutMs, or at once if the
   * total goes past it (a count sent twice).
   */
  async waitForTotal(sessionId, total, { timeoutMs = 10_000 } = {}) {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const now = this.totalFor(sessionId);
      if (now === total) return;
      if (now > total) throw new Error(`billing total for ${sessionId} is ${now}, above ${total}`);
      if (performance.now() > deadline) {
        throw new Error(`billing total for ${sessionId} is ${now} after ${timeoutMs} ms, ` +
                        `expected ${total}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));  // a poll of the totals
    }
  }

  /** Stops for good. */
  async close() {
    await this.refuse();
    sinks.delete(this);
  }

  async #listen(port) {
    const server = http.createServer((req, res) => this.#handle(req, res));
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#port = server.address().port;
    this.#server = server;
  }

  #handle(req, res) {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const path = new URL(req.url, 'http://sink').pathname;
      let body = null;
      try {
        body = JSON.parse(raw);
      } catch {
        // recorded as null: a test may want to see the raw text
      }
      let status;
      if (req.method !== 'POST' || path !== BILLINGS_PATH) status = 404;
      else if (body === null || typeof body.sessionId !== 'string' ||
               !Number.isInteger(body.count)) status = 400;
      else status = this.#failStatus || 200;
      this.requests.push({
        method: req.method, path, contentType: req.headers['content-type'] ?? '', body, raw,
        status, at: performance.now(),
      });
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(status === 200 ? '{}' : JSON.stringify({ status }));
    });
  }

  static async start() {
    const sink = new BillingSink();
    await sink.#listen(0);
    sinks.add(sink);
    return sink;
  }
}

/** Starts a billing sink on a free 127.0.0.1 port, answering 200. */
export async function startBillingSink() {
  return BillingSink.start();
}

after(async () => {
  for (const sink of [...sinks]) await sink.close();
});
