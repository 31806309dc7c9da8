// deploy/haproxy.cfg for real: two `livechat serve` nodes on one PostgreSQL (and, once cluster
// mode is in the binary, one Redis), and HAProxy in front of them on the deployed
// configuration. Which node holds a stream is read from each node's own connection gauges
// (GET /metrics), which request reached which node from its request and message counters, and
// whether HAProxy counts a node in service from HAProxy's statistics.
//
// Mode: a probe start with REDIS_URL decides. While the binary refuses Redis ("cluster mode is
// not available"), the nodes run as single nodes on one shared PostgreSQL: users, tokens,
// rooms and memberships are shared, messages are not, so a message reaches a listener only
// when the proxy sent both to the same node — which is what these tests check. With cluster
// mode in, the same tests run on Redis + PostgreSQL.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { before, describe, test } from 'node:test';

import { createRoom, joinRoom, newUser, request } from './lib/api.mjs';
import { connectStomp, openSse } from './lib/clients.mjs';
import { startHaproxy } from './lib/haproxy.mjs';
import { postMessage } from './lib/messages.mjs';
import { sharedPostgres } from './lib/postgres.mjs';
import { startRedis } from './lib/redis.mjs';
import { randomSecret, runBinary, startServer } from './lib/server.mjs';
import { publishOk, sessionDestination, sessionSsePath, subscribeConfirmed } from './lib/sessions.mjs';

const API_KEY = 'haproxy-test-key';
const NODE_NAMES = ['node1', 'node2'];
// HAProxy checks every 2 s, then every 500 ms after a failure, and takes a node out after two
// failures: a killed node is out within about 2.5 s (deploy/haproxy.cfg); 10 s allows for a
// loaded machine.
const MARKED_DOWN_WITHIN_MS = 10_000;

const nodes = {};   // name -> server (lib/server.mjs)
let nodeEnv;        // the environment every node starts with
let jwtSecret;
let proxy;

before(async () => {
  const pg = await sharedPostgres();
  const databaseUrl = await pg.createDatabase('livechat_haproxy');
  const redis = await startRedis();
  jwtSecret = randomSecret();
  // A probe: a binary without cluster mode stops at once with this message; one with it serves
  // until the probe's time is up.
  const probe = await runBinary(['serve'], { DATABASE_URL: databaseUrl, REDIS_URL: redis.url, JWT_SECRET: jwtSecret },
                                { timeoutMs: 3000 });
  const clusterMode = !/cluster mode is not available/.test(probe.output);
  console.log(`haproxy tests: nodes in ${clusterMode ? 'cluster mode (Redis + PostgreSQL)' : 'single-node PostgreSQL mode (this binary has no cluster mode)'}`);
  nodeEnv = { DATABASE_URL: databaseUrl, LIVECHAT_API_KEY: API_KEY, ...(clusterMode ? { REDIS_URL: redis.url } : {}) };
  for (const name of NODE_NAMES) nodes[name] = await startServer({ env: nodeEnv, jwtSecret });
  proxy = await startHaproxy(Object.fromEntries(NODE_NAMES.map((name) => [name, `127.0.0.1:${nodes[name].port}`])));
});

// ---------------------------------------------------------------------------------------------
// What each node says about itself

async function metricsOf(server) {
  const res = await request(server.url, 'GET', '/metrics');
  assert.equal(res.status, 200);
  return res.text;
}

/** The value of one sample line (`name` with its labels) of a Prometheus text. */
function sample(text, name) {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  assert.notEqual(line, undefined, `${name} in /metrics`);
  return Number(line.slice(name.length + 1));
}

/** {node1: {sse, stomp, accepted, requests}, node2: …} of the nodes that are running. */
async function snapshot() {
  const result = {};
  for (const name of NODE_NAMES) {
    if (nodes[name].exitInfo) continue;
    const text = await metricsOf(nodes[name]);
    result[name] = {
      sse: sample(text, 'livechat_connections{transport="sse"}'),
      stomp: sample(text, 'livechat_connections{transport="stomp"}'),
      accepted: sample(text, 'livechat_messages_accepted_total'),
      requests: sample(text, 'livechat_http_request_duration_seconds_count'),
    };
  }
  return result;
}

/** Polls until `predicate()` is truthy (then resolves to it), failing after timeoutMs. */
async function until(predicate, what, timeoutMs = 5000) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    // A poll: a node's gauges change on its own threads and tell no one.
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Runs `open` (which opens one stream through the proxy) and resolves to {name, value}: the
 * node whose stream gauge (`kind`: sse or stomp) went up by one, and what open() returned.
 */
async function openedOn(kind, open) {
  const before = await snapshot();
  const value = await open();
  const name = await until(async () => {
    const now = await snapshot();
    const grew = Object.keys(now).filter((n) => now[n][kind] > before[n][kind]);
    return grew.length === 1 ? grew[0] : null;
  }, `one node's ${kind} gauge to go up`);
  return { name, value };
}

/** Waits until no node holds a stream (the previous test's clients are closed). */
function untilNoStreams() {
  return until(async () => Object.values(await snapshot()).every((s) => s.sse === 0 && s.stomp === 0),
               'every node to hold no stream');
}

const openSessionSse = (sessionId) => openSse(proxy.url, sessionSsePath(sessionId));

async function openSessionStomp(sessionId) {
  const session = await connectStomp(proxy.url, { path: `/ws?room=${sessionId}` });
  const subscription = await subscribeConfirmed(session, sessionDestination(sessionId));
  return { session, subscription };
}

const newSessionId = () => crypto.randomUUID();

/** Which node `sessionId` hashes to: the node that holds an SSE stream of it opened through the proxy. */
async function nodeOfSession(sessionId) {
  const { name, value: sse } = await openedOn('sse', () => openSessionSse(sessionId));
  sse.close();
  await untilNoStreams();
  return name;
}

// ---------------------------------------------------------------------------------------------

describe('through HAProxy on deploy/haproxy.cfg', () => {
  test('a session\'s SSE and STOMP (/ws?room=) listeners and its tenant posts all land on one node', async () => {
    for (let round = 0; round < 3; round += 1) {
      const sessionId = newSessionId();
      const sses = [];
      const stomps = [];
      const seenOn = new Set();
      for (let i = 0; i < 2; i += 1) {
        const sse = await openedOn('sse', () => openSessionSse(sessionId));
        const stomp = await openedOn('stomp', () => openSessionStomp(sessionId));
        seenOn.add(sse.name).add(stomp.name);
        sses.push(sse.value);
        stomps.push(stomp.value);
      }
      assert.equal(seenOn.size, 1, `session ${sessionId}: listeners on ${[...seenOn].join(' and ')}`);
      const [home] = seenOn;

      const before = await snapshot();
      const [id] = await publishOk(proxy.url, API_KEY, sessionId, { sender: 'tenant', contents: `round ${round}` });
      const afterPost = await snapshot();
      for (const name of NODE_NAMES) {
        assert.equal(afterPost[name].accepted - before[name].accepted, name === home ? 1 : 0,
                     `the post was accepted by ${home}, the listeners' node (${name})`);
      }
      for (const sse of sses) await sse.waitForId(id);
      for (const { subscription } of stomps) await subscription.waitForId(id);

      for (const sse of sses) sse.close();
      for (const { session } of stomps) await session.close();
      await untilNoStreams();
    }
  });

  test('REST through the proxy; a chat room\'s members on SSE and STOMP share one node and chat', async () => {
    // Sign-up, sign-in, create and join go round-robin: they work because every node shares
    // the database (and the JWT secret).
    const alice = await newUser(proxy.url, 'alice');
    const bob = await newUser(proxy.url, 'bob');
    const room = await createRoom(proxy.url, alice.accessToken, 'behind the proxy');
    const joined = await joinRoom(proxy.url, bob.accessToken, room.chatRoomId);
    assert.equal(joined.status, 200, joined.text);
    const listed = await request(proxy.url, 'GET', '/chatrooms/connected', { token: bob.accessToken });
    assert.equal(listed.status, 200, listed.text);
    assert.deepEqual(listed.json.chatRooms.map((r) => r.chatRoomId), [room.chatRoomId]);

    const roomId = room.chatRoomId;
    const sse = await openedOn('sse', () => openSse(proxy.url, `/chatrooms/${roomId}/events`, { token: alice.accessToken }));
    const stomp = await openedOn('stomp', async () => {
      const session = await connectStomp(proxy.url, { path: `/ws?room=${roomId}`, token: bob.accessToken });
      return { session, subscription: await subscribeConfirmed(session, `/chat/${roomId}`) };
    });
    assert.equal(stomp.name, sse.name, `room ${roomId}: SSE on ${sse.name}, STOMP on ${stomp.name}`);

    const posted = await postMessage(proxy.url, alice.accessToken, roomId, 'over REST');
    assert.equal(posted.status, 201, posted.text);
    await stomp.value.session.publishWithReceipt(`/queue/message/${roomId}`, { contents: 'over STOMP' });
    for (const listener of [sse.value, stomp.value.subscription]) {
      await listener.waitFor((l) => l.messages.length >= 2, 5000, 'both messages');
      assert.deepEqual(listener.messages.map((m) => [m.id, m.contents]), [[1, 'over REST'], [2, 'over STOMP']]);
    }
    sse.value.close();
    await stomp.value.session.close();
    await untilNoStreams();
  });

  test('requests without a room go to both nodes in turn; rooms spread over both nodes', async () => {
    const user = await newUser(proxy.url, 'lister');
    const before = await snapshot();
    const count = 20;
    for (let i = 0; i < count; i += 1) {
      const res = await request(proxy.url, 'GET', '/chatrooms', { token: user.accessToken });
      assert.equal(res.status, 200, res.text);
    }
    const afterList = await snapshot();
    for (const name of NODE_NAMES) {
      // Round-robin gives each node half; HAProxy's health checks (GET /readyz) count too.
      const served = afterList[name].requests - before[name].requests;
      assert.ok(served >= count / 2, `${name} served ${served} of ${count} requests`);
    }

    // 16 random ids on a consistent hash over 2 nodes: all on one node has a chance of about
    // 2 in 65,536 with an even ring.
    const homes = { node1: 0, node2: 0 };
    for (let i = 0; i < 16; i += 1) homes[await nodeOfSession(newSessionId())] += 1;
    assert.ok(homes.node1 > 0 && homes.node2 > 0, `16 sessions spread as ${JSON.stringify(homes)}`);
  });

  test('SSE passes through unbuffered: each event arrives while the stream stays open', async () => {
    const sessionId = newSessionId();
    const sse = await openSessionSse(sessionId);
    for (let i = 1; i <= 3; i += 1) {
      const posted = performance.now();
      const [id] = await publishOk(proxy.url, API_KEY, sessionId, { sender: 'tenant', contents: `live ${i}` });
      await sse.waitForId(id, 2000);
      const tookMs = performance.now() - posted;
      // One delivery tick (24 ms) plus the post itself; a proxy that held the response back
      // would hold it until the stream ended or a buffer filled.
      assert.ok(tookMs < 1000, `event ${i} took ${tookMs.toFixed(0)} ms`);
      assert.equal(sse.events.filter((e) => e.type === 'error').length, 0, `the stream is still open: ${sse.describe()}`);
    }
    sse.close();
    await untilNoStreams();
  });

  test('kill -9 of a node: health checks take it out, its rooms move to the other node and come back', async () => {
    const sessionId = newSessionId();
    const { name: victim, value: doomed } = await openedOn('sse', () => openSessionSse(sessionId));
    const survivor = NODE_NAMES.find((n) => n !== victim);

    const dead = nodes[victim];
    await dead.kill9();
    await doomed.waitForStreamEnd();
    doomed.close();
    const downMs = await proxy.waitForStatus(victim, 'DOWN', MARKED_DOWN_WITHIN_MS);
    console.log(`haproxy marked ${victim} DOWN ${downMs.toFixed(0)} ms after its kill -9 was seen`);

    // The session now lives on the survivor: listeners, posts and deliveries.
    const moved = await openedOn('sse', () => openSessionSse(sessionId));
    assert.equal(moved.name, survivor);
    const before = await snapshot();
    const [id] = await publishOk(proxy.url, API_KEY, sessionId, { sender: 'tenant', contents: 'after the failover' });
    await moved.value.waitForId(id);
    assert.equal((await snapshot())[survivor].accepted - before[survivor].accepted, 1);

    // The node comes back on its address: HAProxy brings it back into service, new listeners
    // of the session go to it again, and the stream already open on the survivor stays there.
    nodes[victim] = await startServer({ env: nodeEnv, jwtSecret, port: dead.port, dataDir: dead.dataDir });
    await proxy.waitForStatus(victim, 'UP', MARKED_DOWN_WITHIN_MS);
    const back = await openedOn('sse', () => openSessionSse(sessionId));
    assert.equal(back.name, victim);
    assert.equal(moved.value.events.filter((e) => e.type === 'error').length, 0,
                 `the survivor's stream stays open: ${moved.value.describe()}`);
    moved.value.close();
    back.value.close();
    await untilNoStreams();
  });
});
