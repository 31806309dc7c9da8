// GET /metrics (SPEC section 8): Prometheus text whose figures follow what the server did.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { startServer } from './lib/server.mjs';
import { createRoom, newUser, request } from './lib/api.mjs';
import { openSse, pollUntil } from './lib/clients.mjs';

let server;

before(async () => {
  server = await startServer();
});

after(async () => {
  await server?.stop();
});

/** The value of one sample line (`name` including its labels), or undefined. */
function sample(text, name) {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

async function metrics() {
  const res = await request(server.url, 'GET', '/metrics');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
  return res.text;
}

test('metrics count connections, messages accepted and delivered, batches and requests', async () => {
  const before = await metrics();
  for (const name of ['livechat_messages_accepted_total', 'livechat_messages_delivered_total',
                      'livechat_delivery_batches_total', 'livechat_slow_consumer_disconnects_total',
                      'livechat_billing_failures_total', 'livechat_http_request_duration_seconds_count',
                      'livechat_worker_wait_seconds_count']) {
    assert.notEqual(sample(before, name), undefined, `${name} is exposed`);
    const family = name.replace(/_count$/, '');
    assert.match(before, new RegExp(`# TYPE ${family} (counter|gauge|histogram)`));
  }
  assert.match(before, /livechat_http_request_duration_seconds_bucket\{le="\+Inf"\} \d+/);
  // Cluster mode's metrics are not exported by a node that has no Redis and no saver: a
  // constant zero would read as "healthy".
  for (const name of ['livechat_redis_', 'livechat_saver_']) {
    assert.doesNotMatch(before, new RegExp(name), `${name}* is not exported`);
  }

  const alice = await newUser(server.url, 'metrics');
  const { chatRoomId: roomId } = await createRoom(server.url, alice.accessToken, 'metrics');
  const listeners = [
    openSse(server.url, `/chatrooms/${roomId}/events`, { token: alice.accessToken }),
    openSse(server.url, `/chatrooms/${roomId}/events`, { token: alice.accessToken }),
  ];
  const streams = await Promise.all(listeners);
  try {
    const during = await metrics();
    assert.equal(sample(during, 'livechat_connections{transport="sse"}'), 2);

    for (let i = 1; i <= 3; i += 1) {
      const res = await request(server.url, 'POST', `/chatrooms/${roomId}/messages`,
                                { token: alice.accessToken, body: { contents: `counted ${i}` } });
      assert.equal(res.status, 201, res.text);
    }
    for (const stream of streams) await stream.waitForId(3);
    // The delivery counter moves as the tick writes, which may end just after the clients read.
    let after;
    const grew = (name) => sample(after, name) - sample(before, name);
    await pollUntil(async () => {
      after = await metrics();
      return grew('livechat_messages_delivered_total') >= 6;
    }, 'livechat_messages_delivered_total to grow by 6');
    assert.equal(grew('livechat_messages_accepted_total'), 3);
    // Once per subscriber: 3 messages to 2 listeners.
    assert.equal(grew('livechat_messages_delivered_total'), 6);
    assert.ok(grew('livechat_delivery_batches_total') >= 1);
    assert.ok(grew('livechat_http_request_duration_seconds_count') >= 5, 'REST requests are timed');
    // Where an acknowledgement's time goes: the wait for a worker (every request a worker ran:
    // the sign-in aside, room creation and the 3 posts) and the group commits behind the posts.
    assert.ok(grew('livechat_worker_wait_seconds_count') >= 4, 'waits for a worker are timed');
    assert.match(after, /# TYPE livechat_commit_duration_seconds histogram/);
    const commits = sample(after, 'livechat_commit_duration_seconds_count') -
                    (sample(before, 'livechat_commit_duration_seconds_count') ?? 0);
    assert.ok(commits >= 1 && commits <= 3, `one group commit per post at most, some at least: ${commits}`);
  } finally {
    for (const stream of streams) stream.close();
  }
  await pollUntil(async () => sample(await metrics(), 'livechat_connections{transport="sse"}') === 0,
                  'livechat_connections{transport="sse"} to fall to 0 once the streams closed');
});
