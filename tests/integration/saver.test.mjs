// `livechat saver` end to end: a real redis-server, a real PostgreSQL, hand-off entries written
// by the publish script (as a node writes them), the binary killed and restarted. Everything
// waits by polling what it checks, never by sleeping for a guessed time.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { request } from './lib/api.mjs';
import { sleep } from './lib/clients.mjs';
import { handoffLength, publishMessage, roomKeys } from './lib/handoff.mjs';
import { scrape } from './lib/metrics.mjs';
import { startPostgres } from './lib/postgres.mjs';
import { startRedis } from './lib/redis.mjs';
import { freePort, runBinary, startServer } from './lib/server.mjs';

const ROOMS = ['7a1d2c3b-4e5f-4a6b-8c7d-9e0f1a2b3c4d', 'b3c4d5e6-f7a8-4b9c-8d0e-1f2a3b4c5d6e',
  'c0ffee00-1234-4abc-8def-0123456789ab', 'd15ea5e0-0000-4000-8000-00000000beef'];

/** Polls `probe` until it resolves truthy; rejects with `what` after `timeoutMs`. */
async function until(what, probe, timeoutMs = 30_000) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function savedRows(pg, database) {
  const [rows, distinct] = (await pg.sql(
    'SELECT count(*), count(DISTINCT (room_id, message_id)) FROM messages', database)).split('|');
  return { rows: Number(rows), distinct: Number(distinct) };
}

function startSaver(redis, databaseUrl, port) {
  return startServer({ command: 'saver', port, env: { REDIS_URL: redis.url, DATABASE_URL: databaseUrl } });
}

test('kill -9 of the saver while messages flow: all 100 in PostgreSQL exactly once', async () => {
  const [redis, pg] = await Promise.all([startRedis(), startPostgres()]);
  const databaseUrl = await pg.createDatabase('saver_kill');
  const port = await freePort();  // the same port after the restart: the same consumer name

  let saver = await startSaver(redis, databaseUrl, port);
  const sent = new Map(ROOMS.map((room) => [room, 0]));
  const publish = async (count) => {
    for (let i = 0; i < count; i += 1) {
      const room = ROOMS[i % ROOMS.length];
      sent.set(room, await publishMessage(redis, room, 'alice', `message ${i}`));
    }
  };

  await publish(40);
  await until('the saver to store some messages', async () => (await savedRows(pg, 'saver_kill')).rows > 0);
  const killed = await saver.kill9();
  assert.equal(killed.signal, 'SIGKILL');
  await publish(60);  // while no saver runs: they wait in the hand-off streams
  assert.ok(await handoffLength(redis) >= 60);

  saver = await startSaver(redis, databaseUrl, port);
  await until('every hand-off entry to be acknowledged', async () => await handoffLength(redis) === 0);
  await until('the lag metric to reach 0', async () => (await scrape(saver.url)).livechat_saver_lag === 0);

  assert.deepEqual(await savedRows(pg, 'saver_kill'), { rows: 100, distinct: 100 });
  for (const [room, last] of sent) {
    const ids = (await pg.sql(`SELECT string_agg(message_id::text, ',' ORDER BY message_id) ` +
                              `FROM messages WHERE room_id = '${room}'`, 'saver_kill')).split(',').map(Number);
    assert.deepEqual(ids, Array.from({ length: last }, (_, i) => i + 1), `room ${room}`);
    assert.equal(await redis.command('HGET', roomKeys(room).state, 'committed'), String(last),
                 'the watermark is the last id');
  }
  const [contents] = (await pg.sql(`SELECT contents || '|' || sender FROM messages WHERE room_id = '${ROOMS[1]}' AND message_id = 1`,
                                   'saver_kill')).split('\n');
  assert.equal(contents, 'message 1|alice');

  const stopped = await saver.stop('SIGTERM');
  assert.equal(stopped.code, 0, 'SIGTERM: exit 0');
  await redis.stop();
  await pg.stop();
});

test('/readyz answers 503 while Redis or PostgreSQL is away; /metrics shows the lag', async () => {
  const [redis, pg] = await Promise.all([startRedis(), startPostgres()]);
  const databaseUrl = await pg.createDatabase('saver_ready');
  const saver = await startSaver(redis, databaseUrl);
  const ready = async (status) => (await request(saver.url, 'GET', '/readyz')).status === status;

  await until('/readyz 200', () => ready(200));
  assert.equal((await request(saver.url, 'GET', '/healthz')).status, 200);
  assert.equal((await request(saver.url, 'GET', '/nothing')).status, 404);
  const before = await scrape(saver.url);
  assert.equal(before.livechat_saver_lag, 0);
  assert.equal(before.livechat_saver_messages_saved_total, 0);

  // Redis away: not ready, and no lag figure (nobody could read it).
  await redis.killHard();
  await until('/readyz 503 without Redis', () => ready(503));
  assert.equal((await request(saver.url, 'GET', '/healthz')).status, 200, 'still alive');
  assert.equal((await scrape(saver.url)).livechat_saver_lag, undefined);
  await redis.restart();
  await until('/readyz 200 with Redis back', () => ready(200));
  assert.ok((await scrape(saver.url)).livechat_redis_reconnects_total >= 1);

  // PostgreSQL away: not ready; messages wait in Redis and the lag shows them.
  await pg.kill9();
  await until('/readyz 503 without PostgreSQL', () => ready(503));
  for (let i = 0; i < 10; i += 1) await publishMessage(redis, ROOMS[0], 'bob', `waiting ${i}`);
  await until('a lag of 10', async () => (await scrape(saver.url)).livechat_saver_lag === 10);
  await pg.start();
  await until('the lag to go to 0', async () => (await scrape(saver.url)).livechat_saver_lag === 0);
  await until('/readyz 200 with PostgreSQL back', () => ready(200));

  const after = await scrape(saver.url);
  assert.equal(after.livechat_saver_messages_saved_total, 10);
  assert.ok(after.livechat_saver_batches_total >= 1);
  assert.ok(after.livechat_saver_failures_total >= 1);
  assert.deepEqual(await savedRows(pg, 'saver_ready'), { rows: 10, distinct: 10 });

  assert.equal((await saver.stop('SIGTERM')).code, 0);
  await redis.stop();
  await pg.stop();
});

test('the saver refuses to start without Redis or without PostgreSQL', async () => {
  const noRedis = await runBinary(['saver'], { DATABASE_URL: 'postgresql://u:p@127.0.0.1:1/x' });
  assert.equal(noRedis.code, 2);
  assert.match(noRedis.output, /REDIS_HOST \(--redis-host\): the saver reads the hand-off streams from Redis/);

  const sqlite = await runBinary(['saver'], { REDIS_HOST: '127.0.0.1', DATABASE_URL: 'sqlite:///tmp/x.db' });
  assert.equal(sqlite.code, 2);
  assert.match(sqlite.output, /DATABASE_URL \(--database-url\): the saver writes to PostgreSQL/);
  assert.doesNotMatch(sqlite.output, /x\.db/, 'the URL is not echoed');

  const embedded = await runBinary(['serve', '--with-saver']);
  assert.equal(embedded.code, 2);
  assert.match(embedded.output, /--with-saver: runs cluster mode's saver/);
});
