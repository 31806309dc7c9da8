// Test harness: starts the real `livechat` binary ($LIVECHAT_BIN) on a free loopback port with
// a fresh data directory, waits until it is healthy, and makes sure it is gone when the test file
// ends. A server's output is printed when it exits unexpectedly or when a test of the file fails.

import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach } from 'node:test';

import { sharedPostgres } from './postgres.mjs';

const MAX_LOG_BYTES = 256 * 1024;
const HEALTHY_TIMEOUT_MS = 15_000;
// LOG_LEVEL of the servers under test; LIVECHAT_TEST_LOG_LEVEL=info shows more when debugging.
const LOG_LEVEL = process.env.LIVECHAT_TEST_LOG_LEVEL || 'warn';

// Settings of SPEC section 1, and the failure-injection seam: removed from the inherited
// environment so that a developer's shell (say, REDIS_HOST) cannot change what a test runs
// against.
const SETTINGS = [
  'HOST', 'PORT', 'THREADS', 'DATA_DIR', 'DATABASE_URL', 'REDIS_HOST', 'REDIS_IP', 'REDIS_PORT',
  'REDIS_PASSWORD', 'REDIS_URL', 'JWT_SECRET', 'ACCESS_TOKEN_TTL_S', 'REFRESH_TOKEN_TTL_S',
  'LIVECHAT_API_KEY', 'TENANT_BASE_URL', 'BILLING_INTERVAL_MS', 'FLUSH_INTERVAL_MS',
  'HISTORY_SIZE', 'MAX_MESSAGE_LENGTH', 'RATE_LIMIT_PER_S', 'RATE_LIMIT_BURST', 'CORS_ORIGINS',
  'LOG_LEVEL', 'MAX_VIEWERS_PER_SESSION', 'MAX_STREAMS_PER_IP', 'MAX_SUBSCRIPTIONS_PER_CONNECTION',
  'MAX_STREAMS', 'LIVECHAT_FAILURE_INJECTION',
];

// LIVECHAT_TEST_DATABASE=postgres runs every server that names no DATABASE_URL of its own on
// PostgreSQL instead of SQLite: one PostgreSQL per test file, one database per DATA_DIR (so that
// a restart on the data of an earlier server finds its database again).
const TEST_DATABASE = process.env.LIVECHAT_TEST_DATABASE || 'sqlite';
if (!['sqlite', 'postgres'].includes(TEST_DATABASE)) {
  throw new Error(`LIVECHAT_TEST_DATABASE must be sqlite or postgres, not "${TEST_DATABASE}"`);
}
const databasesByDataDir = new Map();  // dataDir -> Promise of a PostgreSQL URL

function postgresDatabaseFor(dataDir) {
  if (!databasesByDataDir.has(dataDir)) {
    const name = `livechat_${databasesByDataDir.size + 1}`;
    databasesByDataDir.set(dataDir, sharedPostgres().then((pg) => pg.createDatabase(name)));
  }
  return databasesByDataDir.get(dataDir);
}

const servers = new Set();   // every server started by this file, running or not
const tempDirs = new Set();  // removed when the file ends
let failed = false;

/** The path of the binary under test. */
export function binaryPath() {
  const bin = process.env.LIVECHAT_BIN;
  if (!bin) throw new Error('LIVECHAT_BIN is not set: point it at the built livechat binary');
  return bin;
}

/** A port on 127.0.0.1 that was free a moment ago. */
export async function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** A new temporary directory, removed when the test file ends. */
export async function makeTempDir(prefix = 'livechat-test-') {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

/** A random JWT secret (printable, so it is used "as written"). */
export function randomSecret() {
  return crypto.randomBytes(32).toString('hex');
}

/** process.env without livechat settings, then `overrides` (a value of undefined deletes). */
function childEnv(overrides) {
  const env = { ...process.env };
  for (const name of SETTINGS) delete env[name];
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete env[name];
    else env[name] = String(value);
  }
  return env;
}

function appendCapped(buffer, chunk) {
  const joined = buffer + chunk.toString('utf8');
  return joined.length > MAX_LOG_BYTES ? joined.slice(-MAX_LOG_BYTES) : joined;
}

/**
 * Starts `livechat serve` (or `command`: `saver`) and resolves once GET /healthz answers 200.
 * Options: env (overrides of the defaults below), args (extra arguments after the command),
 * dataDir, jwtSecret and port (to restart on the data, and at the address, of an earlier server).
 * Resolves to {url, port, pid, dataDir, jwtSecret, output(), stop(signal), kill9(), exited}.
 */
export async function startServer({ command = 'serve', env = {}, args = [], dataDir, jwtSecret, port } = {}) {
  port ??= await freePort();
  dataDir ??= await makeTempDir();
  jwtSecret ??= randomSecret();
  if (TEST_DATABASE === 'postgres' && command === 'serve' && !('DATABASE_URL' in env)) {
    env = { ...env, DATABASE_URL: await postgresDatabaseFor(dataDir) };
  }
  const fullEnv = childEnv({
    HOST: '127.0.0.1', PORT: port, DATA_DIR: dataDir, JWT_SECRET: jwtSecret, LOG_LEVEL,
    ...env,
  });
  const child = spawn(binaryPath(), [command, ...args], {
    env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'],
  });

  const server = {
    url: `http://127.0.0.1:${port}`,
    port,
    pid: child.pid,
    dataDir,
    jwtSecret: fullEnv.JWT_SECRET,
    log: '',
    stopping: false,
    exitInfo: null,
  };
  child.stdout.on('data', (chunk) => { server.log = appendCapped(server.log, chunk); });
  child.stderr.on('data', (chunk) => { server.log = appendCapped(server.log, chunk); });
  const spawnError = new Promise((_, reject) => child.once('error', reject));
  spawnError.catch(() => {});
  server.exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      server.exitInfo = { code, signal, at: performance.now() };
      if (!server.stopping) {
        console.error(`livechat (pid ${child.pid}) exited unexpectedly: code=${code} signal=${signal}`);
        printLog(server);
      }
      resolve(server.exitInfo);
    });
  });
  server.output = () => server.log;

  /** Sends `signal` and resolves to {code, signal, elapsedMs} when the process has exited. */
  server.stop = async (signal = 'SIGTERM', { timeoutMs = 20_000 } = {}) => {
    if (server.exitInfo) return { ...server.exitInfo, elapsedMs: 0 };
    // Never started (the spawn failed: its error is what the caller reports): nothing to stop.
    if (child.pid === undefined) return { code: null, signal: null, elapsedMs: 0 };
    server.stopping = true;
    const start = performance.now();
    process.kill(child.pid, signal);
    let timer;
    const timeout = new Promise((resolve) => { timer = setTimeout(resolve, timeoutMs, null); });
    const info = await Promise.race([server.exited, timeout]);
    clearTimeout(timer);
    if (!info) {
      // It did not stop: report what we saw, then make sure it is gone.
      process.kill(child.pid, 'SIGKILL');
      await server.exited;
      return { code: null, signal: null, elapsedMs: performance.now() - start, timedOut: true };
    }
    return { code: info.code, signal: info.signal, elapsedMs: info.at - start };
  };
  server.kill9 = () => server.stop('SIGKILL');

  servers.add(server);
  try {
    await Promise.race([waitHealthy(server), spawnError]);
  } catch (error) {
    await server.kill9();
    printLog(server);
    throw error;
  }
  return server;
}

async function waitHealthy(server) {
  const deadline = performance.now() + HEALTHY_TIMEOUT_MS;
  for (;;) {
    if (server.exitInfo) {
      throw new Error(`livechat exited before it was healthy (code=${server.exitInfo.code}, ` +
                      `signal=${server.exitInfo.signal})`);
    }
    try {
      const res = await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    if (performance.now() > deadline) {
      throw new Error(`livechat did not answer GET /healthz 200 within ${HEALTHY_TIMEOUT_MS} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));  // a poll of /healthz
  }
}

function printLog(server) {
  const text = server.log.trim();
  console.error(`----- livechat pid ${server.pid} (${server.url}) output -----\n` +
                `${text || '(no output)'}\n----- end of livechat output -----`);
}

/**
 * Runs the binary to completion (for start-failure tests). Resolves to
 * {code, signal, output, elapsedMs, timedOut}; a run longer than timeoutMs is killed.
 * The environment has safe defaults (loopback, a free port, a temp data dir) under `env`.
 */
export async function runBinary(args, env = {}, { timeoutMs = 10_000 } = {}) {
  const fullEnv = childEnv({
    HOST: '127.0.0.1', PORT: await freePort(), DATA_DIR: await makeTempDir(),
    JWT_SECRET: randomSecret(), LOG_LEVEL, ...env,
  });
  const start = performance.now();
  const child = spawn(binaryPath(), args, { env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => { output = appendCapped(output, chunk); });
  child.stderr.on('data', (chunk) => { output = appendCapped(output, chunk); });
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutMs);
  const [code, signal] = await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c, s) => resolve([c, s]));
  });
  clearTimeout(timer);
  return { code, signal, output, elapsedMs: performance.now() - start, timedOut };
}

afterEach((t) => {
  if (t.passed === false) failed = true;
});

after(async () => {
  for (const server of servers) {
    if (failed) printLog(server);
    if (!server.exitInfo) {
      server.stopping = true;
      try { process.kill(server.pid, 'SIGKILL'); } catch { /* already gone */ }
      await server.exited;
    }
  }
  for (const dir of tempDirs) await fsp.rm(dir, { recursive: true, force: true });
});

// Last resort if the runner is interrupted: no livechat process outlives its test file.
process.on('exit', () => {
  for (const server of servers) {
    if (!server.exitInfo) {
      try { process.kill(server.pid, 'SIGKILL'); } catch { /* already gone */ }
    }
  }
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});
