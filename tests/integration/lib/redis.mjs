// Test harness for cluster mode: a real redis-server (Debian's) on a free loopback port in a
// temporary directory, AOF on with fsync always, stopped by its pid when the test file ends.
// It can be killed with SIGKILL and restarted on the same port and data, as a crash leaves it.
// `command()` speaks RESP itself (a few lines, so the tests need no Redis client package).

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after } from 'node:test';

import { freePort, makeTempDir } from './server.mjs';

const READY_TIMEOUT_MS = 10_000;
const running = new Set();

after(async () => {
  for (const redis of running) await redis.stop();
});

/** Encodes one command as a RESP array of bulk strings. */
function encode(args) {
  let out = `*${args.length}\r\n`;
  for (const arg of args) {
    const text = String(arg);
    out += `$${Buffer.byteLength(text)}\r\n${text}\r\n`;
  }
  return out;
}

/**
 * Parses one RESP2 reply from `buffer` at `offset`: {value, next} or null when incomplete.
 * Errors come back as Error objects, nil as null.
 */
function parse(buffer, offset = 0) {
  const end = buffer.indexOf('\r\n', offset);
  if (end < 0) return null;
  const type = String.fromCharCode(buffer[offset]);
  const line = buffer.toString('utf8', offset + 1, end);
  const next = end + 2;
  switch (type) {
    case '+': return { value: line, next };
    case '-': return { value: new Error(line), next };
    case ':': return { value: Number(line), next };
    case '$': {
      const length = Number(line);
      if (length < 0) return { value: null, next };
      if (buffer.length < next + length + 2) return null;
      return { value: buffer.toString('utf8', next, next + length), next: next + length + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, next };
      const items = [];
      let at = next;
      for (let i = 0; i < count; i++) {
        const item = parse(buffer, at);
        if (!item) return null;
        items.push(item.value);
        at = item.next;
      }
      return { value: items, next: at };
    }
    default: throw new Error(`bad RESP type ${type}`);
  }
}

/** Sends `commands` (arrays of arguments) on one fresh connection; resolves to their replies. */
function run(port, commands) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let buffer = Buffer.alloc(0);
    const replies = [];
    socket.on('error', reject);
    socket.on('connect', () => socket.write(commands.map(encode).join('')));
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      let parsed;
      while ((parsed = parse(buffer)) !== null) {
        replies.push(parsed.value);
        buffer = buffer.subarray(parsed.next);
      }
      if (replies.length === commands.length) {
        socket.end();
        resolve(replies);
      }
    });
  });
}

/**
 * Starts redis-server; resolves once it answers PING (not -LOADING). Options: `password`
 * (requirepass). The returned object: port, dir, url (redis://…), pid, command(...args),
 * clientIds(name), killHard(), restart(), stop().
 */
export async function startRedis({ password = '' } = {}) {
  const port = await freePort();
  const dir = await makeTempDir('livechat-redis-');
  let child = null;

  const redis = {
    port,
    dir,
    url: `redis://${password ? `:${encodeURIComponent(password)}@` : ''}127.0.0.1:${port}`,
    get pid() { return child?.pid; },

    /** One command on a fresh connection (authenticated); resolves to its reply, rejects on -ERR. */
    async command(...args) {
      const commands = password ? [['AUTH', password], args] : [args];
      const replies = await run(port, commands);
      const reply = replies[replies.length - 1];
      if (reply instanceof Error) throw reply;
      return reply;
    },

    /** The ids of the clients whose CLIENT LIST line has name=<name>. */
    async clientIds(name) {
      const list = await redis.command('CLIENT', 'LIST');
      return list.split('\n').filter((line) => line.includes(` name=${name} `))
        .map((line) => line.match(/^id=(\d+)/)[1]);
    },

    /** SIGKILL, waited for. */
    async killHard() {
      await stopChild('SIGKILL');
    },

    /** Starts it again on the same port and data directory. */
    async restart() {
      await stopChild('SIGTERM');
      await spawnServer();
    },

    /** SIGTERM, waited for. */
    async stop() {
      await stopChild('SIGTERM');
      running.delete(redis);
    },
  };

  async function spawnServer() {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '',
      '--appendonly', 'yes', '--appendfsync', 'always', '--logfile', 'redis.log',
      '--daemonize', 'no'];
    if (password) args.push('--requirepass', password);
    child = spawn('redis-server', args, { stdio: 'ignore' });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.exited = exited;
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (child.exitCode !== null) {
        const log = fs.readFileSync(path.join(dir, 'redis.log'), 'utf8');
        throw new Error(`redis-server exited at start:\n${log}`);
      }
      try {
        if (await redis.command('PING') === 'PONG') return;
      } catch {
        // not listening yet, or -LOADING
      }
      if (Date.now() > deadline) throw new Error('redis-server did not answer PING in time');
      // A poll: redis-server gives no other sign that it listens.
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  async function stopChild(signal) {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    await child.exited;
  }

  running.add(redis);
  await spawnServer();
  return redis;
}
