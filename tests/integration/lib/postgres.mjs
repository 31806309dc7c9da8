// Test harness: a real PostgreSQL server (Debian's, /usr/lib/postgresql/<n>/bin, or
// $LIVECHAT_PG_BIN) in a fresh cluster (initdb) in a temporary directory, on a free 127.0.0.1
// port, stopped by its pid when the test file ends. PostgreSQL refuses to run as root, so under
// root it runs as the `postgres` user (the child is spawned with that uid and gid, so the pid we
// hold is the postmaster's own).

import { spawn, execFile } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after } from 'node:test';

import { freePort } from './server.mjs';

const run = promisify(execFile);
const USER = 'livechat';
const PASSWORD = 'livechat-test-password';
const READY_TIMEOUT_MS = 60_000;

const servers = new Set();

function binaries() {
  if (process.env.LIVECHAT_PG_BIN) return process.env.LIVECHAT_PG_BIN;
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root)
    ? fs.readdirSync(root).filter((v) => fs.existsSync(path.join(root, v, 'bin', 'postgres')))
    : [];
  if (versions.length === 0) {
    throw new Error('no PostgreSQL server under /usr/lib/postgresql (apt-get install postgresql)');
  }
  versions.sort((a, b) => Number(b) - Number(a));
  return path.join(root, versions[0], 'bin');
}

/** The uid and gid PostgreSQL runs as: postgres's under root, else ours (undefined). */
async function serverAccount() {
  if (process.getuid() !== 0) return {};
  const [{ stdout: uid }, { stdout: gid }] = await Promise.all([
    run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres']),
  ]);
  return { uid: Number(uid), gid: Number(gid) };
}

function exitOf(child) {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

/**
 * Creates a cluster and starts PostgreSQL; resolves once it accepts connections to
 * {pid, port, url(database), createDatabase(name), kill9(), start(), stop(), log()}.
 */
export async function startPostgres() {
  const bin = binaries();
  const account = await serverAccount();
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'livechat-pg-'));
  if (account.uid !== undefined) await fsp.chown(dir, account.uid, account.gid);
  const passwordFile = path.join(dir, 'password');
  await fsp.writeFile(passwordFile, `${PASSWORD}\n`);
  const logFile = path.join(dir, 'postgres.log');

  const pg = {
    dir,
    port: await freePort(),
    pid: null,
    child: null,
    exited: null,
    log: () => { try { return fs.readFileSync(logFile, 'utf8'); } catch { return ''; } },
  };
  servers.add(pg);

  const initdb = spawn(path.join(bin, 'initdb'), [
    `--pgdata=${path.join(dir, 'data')}`, `--username=${USER}`, `--pwfile=${passwordFile}`,
    '--auth=scram-sha-256', '--encoding=UTF8', '--locale=C.UTF-8', '--no-sync',
  ], { ...account, stdio: ['ignore', 'pipe', 'pipe'] });
  let initdbOutput = '';
  initdb.stdout.on('data', (chunk) => { initdbOutput += chunk; });
  initdb.stderr.on('data', (chunk) => { initdbOutput += chunk; });
  const { code } = await exitOf(initdb);
  if (code !== 0) throw new Error(`initdb failed (${code}):\n${initdbOutput}`);

  pg.url = (database = 'postgres') =>
    `postgresql://${USER}:${PASSWORD}@127.0.0.1:${pg.port}/${database}`;

  /** Runs one SQL command with psql, as the test user. */
  pg.sql = async (command, database = 'postgres') => {
    const { stdout } = await run(path.join(bin, 'psql'), [
      pg.url(database), '--no-psqlrc', '--quiet', '--tuples-only', '--no-align', '-v',
      'ON_ERROR_STOP=1', '-c', command,
    ]);
    return stdout.trim();
  };

  /** Creates database `name` (letters, digits, _) and resolves to its URL. */
  pg.createDatabase = async (name) => {
    await pg.sql(`CREATE DATABASE ${name}`);
    return pg.url(name);
  };

  /** Starts the server on its directory and port; resolves once it accepts connections. */
  pg.start = async () => {
    const deadline = performance.now() + READY_TIMEOUT_MS;
    while (performance.now() < deadline) {
      const out = fs.openSync(logFile, 'a');
      const child = spawn(path.join(bin, 'postgres'), [
        '-D', path.join(dir, 'data'), '-p', String(pg.port), '-c', 'listen_addresses=127.0.0.1',
        '-c', 'unix_socket_directories=', '-c', 'max_connections=300',
        // After a kill -9, recovery first syncs the data directory: syncfs() is one call where
        // the default fsyncs each file (seconds on a busy machine).
        '-c', 'recovery_init_sync_method=syncfs',
      ], { ...account, stdio: ['ignore', out, out] });
      fs.closeSync(out);
      pg.child = child;
      pg.pid = child.pid;
      pg.exited = exitOf(child);
      let gone = false;
      pg.exited.then(() => { gone = true; });
      while (!gone && performance.now() < deadline) {
        try {
          await run(path.join(bin, 'pg_isready'), ['-q', '-h', '127.0.0.1', '-p', String(pg.port)]);
          return;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 50));  // a poll of pg_isready
        }
      }
      // It refused to start, most often because the processes of a killed server are still
      // leaving their shared memory: try again.
    }
    throw new Error(`PostgreSQL did not start within ${READY_TIMEOUT_MS} ms:\n${pg.log()}`);
  };

  /** kill -9 of the postmaster; resolves once it is gone. */
  pg.kill9 = async () => {
    if (!pg.child || pg.child.exitCode !== null || pg.child.signalCode !== null) return;
    process.kill(pg.pid, 'SIGKILL');
    await pg.exited;
  };

  /** Fast shutdown (SIGINT); resolves once it is gone. */
  pg.stop = async () => {
    if (!pg.child || pg.child.exitCode !== null || pg.child.signalCode !== null) return;
    process.kill(pg.pid, 'SIGINT');
    await pg.exited;
  };

  await pg.start();
  return pg;
}

let shared = null;

/** One PostgreSQL for the whole test file, started on first use. */
export function sharedPostgres() {
  shared ??= startPostgres();
  return shared;
}

after(async () => {
  for (const pg of servers) {
    await pg.stop();
    await fsp.rm(pg.dir, { recursive: true, force: true });
  }
});

// Last resort if the runner is interrupted: no PostgreSQL outlives its test file.
process.on('exit', () => {
  for (const pg of servers) {
    if (pg.child && pg.child.exitCode === null && pg.child.signalCode === null) {
      try { process.kill(pg.pid, 'SIGKILL'); } catch { /* already gone */ }
    }
    fs.rmSync(pg.dir, { recursive: true, force: true });
  }
});
