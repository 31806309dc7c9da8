// Test harness for the load balancer: a real HAProxy (Debian's) started on the project's own
// deploy/haproxy.cfg, with the node addresses and its ports given through the environment
// variables that file reads, so the test runs exactly the configuration that is deployed.
// Stopped by its pid when the test file ends; its log is printed when a test of the file failed.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { after, afterEach } from 'node:test';
import { fileURLToPath } from 'node:url';

import { freePort } from './server.mjs';

const READY_TIMEOUT_MS = 10_000;
const MAX_LOG_BYTES = 64 * 1024;
export const HAPROXY_CFG = fileURLToPath(new URL('../../../deploy/haproxy.cfg', import.meta.url));

const running = new Set();
let failed = false;

afterEach((t) => {
  if (t.passed === false) failed = true;
});

after(async () => {
  for (const proxy of running) {
    if (failed) console.error(`----- haproxy pid ${proxy.pid} output -----\n${proxy.output()}\n-----`);
    await proxy.stop();
  }
});

process.on('exit', () => {
  for (const proxy of running) {
    try { process.kill(proxy.pid, 'SIGKILL'); } catch { /* already gone */ }
  }
});

/** The haproxy binary: $LIVECHAT_HAPROXY_BIN, else /usr/sbin/haproxy (Debian's), else PATH's. */
function binary() {
  if (process.env.LIVECHAT_HAPROXY_BIN) return process.env.LIVECHAT_HAPROXY_BIN;
  return fs.existsSync('/usr/sbin/haproxy') ? '/usr/sbin/haproxy' : 'haproxy';
}

/**
 * Parses HAProxy's CSV statistics ("# pxname,svname,…" then one line per proxy and server)
 * into objects keyed by the header's column names.
 */
function parseStatsCsv(text) {
  const [header, ...lines] = text.trim().split('\n');
  const columns = header.replace(/^# /, '').split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((v, i) => [columns[i], v])));
}

/**
 * Starts HAProxy on deploy/haproxy.cfg in front of `nodes` ({node1: 'host:port', node2: …}),
 * listening on a free loopback port; resolves once every server is UP. The returned object:
 * url (the frontend), statsUrl, pid, servers() (the nodes as the sticky backend, whose checks
 * both backends follow, sees them: {name: {status, scur, stot}}), waitForStatus(name, status), output(), stop().
 */
export async function startHaproxy(nodes) {
  const port = await freePort();
  const statsPort = await freePort();
  const env = {
    ...process.env,
    HAPROXY_BIND: `127.0.0.1:${port}`,
    HAPROXY_STATS_BIND: `127.0.0.1:${statsPort}`,
    HAPROXY_MAXCONN: '2000',
  };
  for (const [name, address] of Object.entries(nodes)) env[`LIVECHAT_${name.toUpperCase()}`] = address;
  // -db: stay in the foreground (no daemon), so the pid is HAProxy's own.
  const child = spawn(binary(), ['-db', '-f', HAPROXY_CFG], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const capture = (chunk) => {
    log = (log + chunk.toString('utf8')).slice(-MAX_LOG_BYTES);
  };
  child.stdout.on('data', capture);
  child.stderr.on('data', capture);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const spawnError = new Promise((_, reject) => child.once('error', reject));
  spawnError.catch(() => {});

  const proxy = {
    url: `http://127.0.0.1:${port}`,
    statsUrl: `http://127.0.0.1:${statsPort}/stats`,
    pid: child.pid,
    output: () => log,

    async servers() {
      const res = await fetch(`${proxy.statsUrl};csv`, { signal: AbortSignal.timeout(2000) });
      const rows = parseStatsCsv(await res.text());
      return Object.fromEntries(rows.filter((r) => r.pxname === 'livechat_rooms' && r.svname.startsWith('node'))
        .map((r) => [r.svname, { status: r.status, scur: Number(r.scur), stot: Number(r.stot) }]));
    },

    /** Polls the stats until server `name` has `status` (UP, DOWN…); resolves to the ms it took. */
    async waitForStatus(name, status, timeoutMs = READY_TIMEOUT_MS) {
      const start = performance.now();
      for (;;) {
        if (child.exitCode !== null) throw new Error(`haproxy exited:\n${log}`);
        let seen;
        try {
          seen = (await proxy.servers())[name]?.status;
        } catch {
          // the stats frontend is not listening yet
        }
        if (seen === status) return performance.now() - start;
        if (performance.now() - start > timeoutMs) {
          throw new Error(`haproxy: ${name} is ${seen}, not ${status}, after ${timeoutMs} ms\n${log}`);
        }
        // A poll: HAProxy's health checks run on their own clock and tell no one.
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },

    async stop() {
      running.delete(proxy);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
  running.add(proxy);
  try {
    await Promise.race([
      (async () => { for (const name of Object.keys(nodes)) await proxy.waitForStatus(name, 'UP'); })(),
      spawnError,
    ]);
  } catch (error) {
    await proxy.stop();
    throw error;
  }
  return proxy;
}
