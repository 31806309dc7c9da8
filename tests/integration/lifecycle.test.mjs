// Process lifecycle (SPEC sections 1 and 8): bad settings stop the start with a message that
// names them, SIGTERM exits 0 within 10 s, and data outlives a restart and a kill -9.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { makeTempDir, randomSecret, runBinary, startServer } from './lib/server.mjs';
import { createRoom, getRoom, newUser, request, signIn, signUp, uniqueUserId } from './lib/api.mjs';
import { RawConnection } from './lib/raw_http.mjs';

const SHUTDOWN_LIMIT_MS = 10_000;

describe('bad settings stop the start', { concurrency: true }, () => {
  for (const [args, env, names] of [
    [['serve'], { PORT: 'abc' }, /PORT/i],
    [['serve'], { PORT: '70000' }, /PORT/i],
    [['serve', '--port', '70000'], {}, /port/i],
    [['serve'], { FLUSH_INTERVAL_MS: '-1' }, /FLUSH_INTERVAL_MS|flush-interval-ms/i],
    [['serve', '--flush-interval-ms', '-1'], {}, /FLUSH_INTERVAL_MS|flush-interval-ms/i],
    [['serve'], { LOG_LEVEL: 'loud' }, /LOG_LEVEL|log-level/i],
    [['serve'], { ACCESS_TOKEN_TTL_S: 'soon' }, /ACCESS_TOKEN_TTL_S|access-token-ttl-s/i],
    [['serve'], { JWT_SECRET: 'base64:!!not base64!!' }, /JWT_SECRET|jwt-secret/i],
  ]) {
    test(`${args.join(' ')} ${JSON.stringify(env)}: non-zero exit naming the setting`, async () => {
      const run = await runBinary(args, env, { timeoutMs: 10_000 });
      assert.equal(run.timedOut, false, `still running after 10 s; output:\n${run.output}`);
      assert.notEqual(run.code, 0, `exit code 0; output:\n${run.output}`);
      assert.equal(run.signal, null, `killed by ${run.signal}; output:\n${run.output}`);
      assert.match(run.output, names, `the message does not name the setting:\n${run.output}`);
    });
  }
});

describe('SIGTERM', () => {
  test('exits 0 within 10 s', async () => {
    const server = await startServer();
    await newUser(server.url);
    const stopped = await server.stop('SIGTERM');
    assert.equal(stopped.signal, null, `ended by signal ${stopped.signal}`);
    assert.equal(stopped.code, 0);
    assert.ok(stopped.elapsedMs < SHUTDOWN_LIMIT_MS, `took ${Math.round(stopped.elapsedMs)} ms`);
  });

  test('exits 0 within 10 s with idle keep-alive and half-sent requests open', async () => {
    const server = await startServer();
    const idle = await RawConnection.open(server.port);
    await idle.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    assert.equal((await idle.readResponse()).status, 200);
    const partial = await RawConnection.open(server.port);
    await partial.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Unfinished: ');
    try {
      const stopped = await server.stop('SIGTERM');
      assert.equal(stopped.signal, null, `ended by signal ${stopped.signal}`);
      assert.equal(stopped.code, 0);
      assert.ok(stopped.elapsedMs < SHUTDOWN_LIMIT_MS, `took ${Math.round(stopped.elapsedMs)} ms`);
      assert.ok(await idle.waitClosed(1000), 'the idle connection is closed');
    } finally {
      idle.destroy();
      partial.destroy();
    }
  });
});

describe('durability', () => {
  test('users, rooms and spent refresh tokens survive a restart', async () => {
    const dataDir = await makeTempDir();
    const jwtSecret = randomSecret();
    const first = await startServer({ dataDir, jwtSecret });
    const user = await newUser(first.url);
    const room = await createRoom(first.url, user.accessToken, 'survives a restart');
    const rotated = await request(first.url, 'POST', '/users/refresh',
                                  { body: { refreshToken: user.refreshToken } });
    assert.equal(rotated.status, 200, rotated.text);
    const stopped = await first.stop('SIGTERM');
    assert.equal(stopped.code, 0);

    const second = await startServer({ dataDir, jwtSecret });
    const again = await signIn(second.url, user.userId);
    assert.equal(again.status, 200, `sign-in after restart: ${again.text}`);
    const mine = await request(second.url, 'GET', '/users/me', { token: user.accessToken });
    assert.equal(mine.status, 200, `an access token from before the restart: ${mine.text}`);
    const kept = await getRoom(second.url, again.json.accessToken, room.chatRoomId);
    assert.equal(kept.status, 200, kept.text);
    assert.deepEqual(kept.json, room);
    const duplicate = await signUp(second.url, user.userId);
    assert.equal(duplicate.status, 409, 'the user still exists');

    // A refresh token's successor from before the restart works; the token it replaced stays
    // spent, and presenting it revokes its family, the newest token included (SPEC 3).
    const successor = await request(second.url, 'POST', '/users/refresh',
                                    { body: { refreshToken: rotated.json.refreshToken } });
    assert.equal(successor.status, 200, successor.text);
    const spent = await request(second.url, 'POST', '/users/refresh',
                                { body: { refreshToken: user.refreshToken } });
    assert.equal(spent.status, 401, `spent refresh token after restart: ${spent.status} ${spent.text}`);
    const revoked = await request(second.url, 'POST', '/users/refresh',
                                  { body: { refreshToken: successor.json.refreshToken } });
    assert.equal(revoked.status, 401, `the family is revoked: ${revoked.status} ${revoked.text}`);
  });

  test('a user and a room acknowledged right before kill -9 are there after restart', async () => {
    const dataDir = await makeTempDir();
    const jwtSecret = randomSecret();
    const first = await startServer({ dataDir, jwtSecret });
    const creator = await newUser(first.url);
    const userId = uniqueUserId('k9');
    const signedUp = await signUp(first.url, userId);
    assert.equal(signedUp.status, 201);
    const room = await createRoom(first.url, creator.accessToken, 'acknowledged before kill -9');
    const killed = await first.kill9();
    assert.equal(killed.signal, 'SIGKILL');

    const second = await startServer({ dataDir, jwtSecret });
    const res = await signIn(second.url, userId);
    assert.equal(res.status, 200, `sign-in after kill -9: ${res.status} ${res.text}`);
    const kept = await getRoom(second.url, res.json.accessToken, room.chatRoomId);
    assert.equal(kept.status, 200, `room after kill -9: ${kept.status} ${kept.text}`);
  });

  test('the server says when its port is taken', async () => {
    const holder = await startServer();
    const run = await runBinary(['serve'], { PORT: holder.port }, { timeoutMs: 10_000 });
    assert.equal(run.timedOut, false, `still running after 10 s; output:\n${run.output}`);
    assert.notEqual(run.code, 0);
    assert.match(run.output, new RegExp(`${holder.port}|address|in use`, 'i'), run.output);
  });
});
