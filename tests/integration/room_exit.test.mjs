// A member's exit ends that member's live streams of the room (SPEC section 4): each of their
// SSE streams and STOMP subscriptions of it gets, after every message acknowledged before the
// exit, a `left` notice and nothing more; the other members' streams go on. Embedded mode here;
// tests/integration/cluster.test.mjs checks it across nodes.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { createRoom, exitRoom, joinRoom, newUser } from './lib/api.mjs';
import { connectStomp, openSse } from './lib/clients.mjs';
import { sendMessage } from './lib/messages.mjs';
import { startServer } from './lib/server.mjs';
import { subscribeConfirmed } from './lib/sessions.mjs';

test('a member who exits stops receiving the room on SSE and STOMP; the others go on', async () => {
  const { url } = await startServer({ env: { FLUSH_INTERVAL_MS: 10 } });
  const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((name) => newUser(url, name)));
  const roomId = (await createRoom(url, alice.accessToken, 'exits')).chatRoomId;
  for (const user of [bob, carol]) assert.equal((await joinRoom(url, user.accessToken, roomId)).status, 200);

  const bobSse = await openSse(url, `/chatrooms/${roomId}/events`, { token: bob.accessToken });
  const bobStomp = await connectStomp(url, { token: bob.accessToken });
  const bobSubscription = await subscribeConfirmed(bobStomp, `/chat/${roomId}`);
  const carolSse = await openSse(url, `/chatrooms/${roomId}/events`, { token: carol.accessToken });

  await sendMessage(url, alice.accessToken, roomId, 'one');
  await sendMessage(url, carol.accessToken, roomId, 'two');
  assert.equal((await exitRoom(url, bob.accessToken, roomId)).status, 200);
  await sendMessage(url, alice.accessToken, roomId, 'three, after bob left');

  await bobSse.waitFor((c) => c.leftEvent, 10_000, 'a `left` event');
  assert.deepEqual(bobSse.ids, [1, 2], 'what was kept before the exit, then `left`');
  assert.deepEqual(bobSse.leftEvent.data, { type: 'left', roomId });
  await bobSse.waitForStreamEnd();

  await bobSubscription.waitFor((s) => s.leftFrame, 10_000, 'a {"type":"left"} MESSAGE');
  assert.deepEqual(bobSubscription.ids, [1, 2]);
  assert.deepEqual(bobSubscription.leftFrame.json, { type: 'left', roomId });

  await carolSse.waitForId(3);
  assert.deepEqual(carolSse.ids, [1, 2, 3]);
  assert.equal(carolSse.leftEvent, undefined);
  // Nothing followed `left` on bob's subscription, though the room went on (message 3).
  assert.deepEqual(bobSubscription.ids, [1, 2]);
  assert.equal(bobSubscription.frames.at(-1).json.type, 'left');
  assert.ok(bobStomp.isOpen, 'the connection stays; only that subscription ended');
});
