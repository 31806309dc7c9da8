// The web page and Swagger UI in a real browser: Debian's Chromium, headless, driven by
// playwright-core, against the real binary. Two users chat through the page across a server
// restart with no gap; the page works with the keyboard alone and axe-core finds no
// accessibility violation; the session viewer follows a live-stream session over SSE; Swagger UI
// renders the API and a try-it call works. Screenshots are kept in $LIVECHAT_ARTIFACTS
// (test-artifacts/ beside the binary when unset).
//
// Every wait is on something the page shows (a locator, a state attribute), never a sleep.

import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createRequire } from 'node:module';

import { chromium } from 'playwright-core';

import { binaryPath, makeTempDir, startServer } from '../integration/lib/server.mjs';
import { PASSWORD, request, signIn, uniqueUserId } from '../integration/lib/api.mjs';

const require = createRequire(import.meta.url);
const AXE_SOURCE = require('axe-core').source;
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ARTIFACTS = process.env.LIVECHAT_ARTIFACTS || path.join(path.dirname(binaryPath()), 'test-artifacts');
const API_KEY = 'browser-test-key';
const WAIT_MS = 15_000;

let server;
let browser;

before(async () => {
  await fs.mkdir(ARTIFACTS, { recursive: true });
  server = await startServer({ env: { LIVECHAT_API_KEY: API_KEY } });
  browser = await chromium.launchPersistentContext(await makeTempDir('livechat-chromium-'), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1100, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  browser.setDefaultTimeout(WAIT_MS);
});

after(async () => {
  await browser?.close();
});

// A JWT (its header, base64url of '{"'), or the query parameter that carries one.
const TOKEN_IN_URL = /eyJ|access_token=/;

/** A new tab that records what a page must never do: fail a script, break its CSP, put a token
 *  in a URL (where a log could keep it). */
async function openPage(urlPath = '/') {
  const page = await browser.newPage();
  page.problems = [];
  page.on('pageerror', (error) => page.problems.push(`page error: ${error.message}`));
  page.on('request', (request) => {
    if (TOKEN_IN_URL.test(request.url())) page.problems.push(`token in a URL: ${request.url()}`);
  });
  page.on('websocket', (socket) => {
    if (TOKEN_IN_URL.test(socket.url())) page.problems.push(`token in a URL: ${socket.url()}`);
  });
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy|Refused to/.test(message.text())) {
      page.problems.push(`console: ${message.text()}`);
    }
  });
  await page.goto(server.url + urlPath);
  return page;
}

async function screenshot(page, name) {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Runs axe-core in the page (evaluated through the debugging protocol, so the page's CSP still
 *  holds for everything else) and asserts that it finds no violation at all. */
async function assertAccessible(page, what) {
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => (await window.axe.run(document)).violations
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`));
  assert.deepEqual(violations, [], `axe-core on ${what}`);
}

const connectionState = (page, state) => page.locator(`#connection[data-state="${state}"]`).waitFor();
const messageItem = (page, text) => page.locator('#messages li', { hasText: text });
const shownIds = (page) => page.locator('#messages li').evaluateAll((items) => items.map((li) => Number(li.dataset.id)));

async function signUpWithMouse(page, userId) {
  await page.getByLabel('User ID').fill(userId);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await connectionState(page, 'connected');
}

describe('the chat page', () => {
  test('two users sign up, share a private room, chat, and go on with no gap after a server restart', async () => {
    const alice = uniqueUserId('alice');
    const bob = uniqueUserId('bob');
    const roomName = `private ${alice}`;
    const roomPassword = 'room secret 1';
    const pageA = await openPage();
    const pageB = await openPage();

    await signUpWithMouse(pageA, alice);
    await pageA.getByLabel('Room name').fill(roomName);
    await pageA.getByLabel(/Room password/).fill(roomPassword);
    await pageA.getByRole('button', { name: 'Create' }).click();
    await pageA.getByRole('heading', { name: roomName }).waitFor();

    await signUpWithMouse(pageB, bob);
    await pageB.getByLabel('Search rooms').fill(alice);
    await pageB.getByRole('button', { name: 'Search' }).click();
    const row = pageB.locator('#room-list li', { hasText: roomName });
    await row.getByLabel(`Password for ${roomName}`).fill(roomPassword);
    await row.getByRole('button', { name: 'Join' }).click();
    await pageB.getByRole('heading', { name: roomName }).waitFor();

    await pageA.getByLabel('Message').fill('hello from alice');
    await pageA.getByRole('button', { name: 'Send' }).click();
    await messageItem(pageB, 'hello from alice').waitFor();
    await pageB.getByLabel('Message').fill('hi alice, bob here');
    await pageB.getByLabel('Message').press('Enter');
    await messageItem(pageA, 'hi alice, bob here').waitFor();
    await messageItem(pageB, 'hi alice, bob here').waitFor();
    await screenshot(pageA, 'chat-alice');
    await screenshot(pageB, 'chat-bob');

    // The server goes away while both pages are open, and comes back at the same address.
    const { dataDir, jwtSecret, port } = server;
    const stopped = await server.stop('SIGTERM');
    assert.equal(stopped.code, 0);
    await Promise.all([connectionState(pageA, 'reconnecting'), connectionState(pageB, 'reconnecting')]);
    await screenshot(pageB, 'chat-bob-reconnecting');
    server = await startServer({ dataDir, jwtSecret, port, env: { LIVECHAT_API_KEY: API_KEY } });

    // Sent by another client of alice's at once, most likely before the pages are back: they
    // must still show it, from their resume.
    const otherClient = await signIn(server.url, alice);
    const roomId = await pageA.locator('#room-list li', { hasText: roomName }).getAttribute('data-room-id');
    const sent = await request(server.url, 'POST', `/chatrooms/${roomId}/messages`, {
      token: otherClient.json.accessToken, body: { contents: 'sent while the pages were away' },
    });
    assert.equal(sent.status, 201, sent.text);

    await Promise.all([connectionState(pageA, 'connected'), connectionState(pageB, 'connected')]);
    await pageA.getByLabel('Message').fill('after the restart');
    await pageA.getByLabel('Message').press('Enter');
    for (const page of [pageA, pageB]) {
      await messageItem(page, 'sent while the pages were away').waitFor();
      await messageItem(page, 'after the restart').waitFor();
      assert.deepEqual(await shownIds(page), [1, 2, 3, 4], 'ids continue with no gap and no repeat');
    }
    await screenshot(pageB, 'chat-bob-resumed');

    // Bob exits: the chat closes, and the room is offered to him to join again.
    await pageB.getByRole('button', { name: 'Exit room' }).click();
    await pageB.locator('#chat').waitFor({ state: 'hidden' });
    await pageB.locator('#room-list li', { hasText: roomName }).getByRole('button', { name: 'Join' }).waitFor();
    assert.deepEqual([...pageA.problems, ...pageB.problems], []);
    await pageA.close();
    await pageB.close();
  });

  test('works with the keyboard alone, and axe-core finds no violation', async () => {
    const page = await openPage();
    await assertAccessible(page, 'the signed-out page');

    // From the top of the page: Tab to each control, type, press Enter or Space.
    const tabTo = async (name) => {
      for (let presses = 0; presses < 30; presses += 1) {
        await page.keyboard.press('Tab');
        const focused = await page.evaluate(() => {
          const active = document.activeElement;
          return active.labels?.[0]?.textContent.trim() || active.textContent.trim();
        });
        if (focused.startsWith(name)) return;
      }
      assert.fail(`Tab never reached "${name}"`);
    };
    await tabTo('User ID');
    await page.keyboard.type(uniqueUserId('keys'));
    await tabTo('Password');
    await page.keyboard.type(PASSWORD);
    await tabTo('Sign up');
    await page.keyboard.press('Enter');
    await connectionState(page, 'connected');
    await tabTo('Room name');
    await page.keyboard.type('typed with keys');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'typed with keys' }).waitFor();
    // Opening a room puts the focus on the message box.
    await page.keyboard.type('no mouse needed');
    await page.keyboard.press('Enter');
    await messageItem(page, 'no mouse needed').waitFor();

    await assertAccessible(page, 'the page with a room open');
    await screenshot(page, 'page');
    assert.deepEqual(page.problems, []);
    await page.close();
  });

  test('watches a live-stream session over SSE until it ends', async () => {
    const sessionId = crypto.randomUUID();
    const page = await openPage();
    await page.getByLabel('Session ID').fill(sessionId);
    await page.getByRole('button', { name: 'Watch' }).click();
    await page.locator('#session-state', { hasText: 'Live' }).waitFor();
    const tenant = { 'X-Api-Key': API_KEY };
    const posted = await request(server.url, 'POST', `/api/v1/sessions/${sessionId}/messages`, {
      headers: tenant,
      body: [{ sender: 'host', contents: 'welcome, viewers', nickname: 'The Host' },
             { sender: 'host', contents: 'second line' }],
    });
    assert.equal(posted.status, 202, posted.text);
    await page.locator('#session-messages li', { hasText: 'second line' }).waitFor();
    assert.deepEqual(await page.locator('#session-messages li').allTextContents(),
                     ['#1 The Host welcome, viewers', '#2 host second line']);
    const ended = await request(server.url, 'POST', `/api/v1/sessions/${sessionId}/end`, { headers: tenant });
    assert.equal(ended.status, 204);
    await page.locator('#session-state', { hasText: 'The session has ended.' }).waitFor();
    await assertAccessible(page, 'the session viewer');
    assert.deepEqual(page.problems, []);
    await page.close();
  });
});

describe('Swagger UI', () => {
  test('renders the sign-up operation, and trying it out returns 201', async () => {
    const page = await openPage('/swagger-ui/');
    assert.equal(new URL(page.url()).pathname, '/swagger-ui/index.html');
    const signUp = page.locator('#operations-users-signUp');
    await signUp.locator('.opblock-summary-path', { hasText: '/users/signup' }).waitFor();
    await signUp.locator('.opblock-summary').click();
    await signUp.getByRole('button', { name: 'Try it out' }).click();
    const userId = uniqueUserId('swagger');
    await signUp.locator('textarea.body-param__text').fill(JSON.stringify({ userId, password: PASSWORD }));
    await signUp.getByRole('button', { name: 'Execute' }).click();
    await signUp.locator('.live-responses-table .response-col_status', { hasText: '201' }).waitFor();
    await screenshot(page, 'swagger-ui');

    // The new user is real: it signs in.
    const signin = await signIn(server.url, userId);
    assert.equal(signin.status, 200);

    // Authorize with its token, then a call that needs one works.
    await page.getByRole('button', { name: /Authorize/ }).first().click();
    const dialog = page.locator('.dialog-ux');
    await dialog.locator('#auth-bearer-value').fill(signin.json.accessToken);
    await dialog.getByRole('button', { name: 'Apply credentials' }).first().click();
    await dialog.getByRole('button', { name: 'Close', exact: true }).first().click();
    const me = page.locator('#operations-users-getMe');
    await me.locator('.opblock-summary').click();
    await me.getByRole('button', { name: 'Try it out' }).click();
    await me.getByRole('button', { name: 'Execute' }).click();
    await me.locator('.live-responses-table .response-col_status', { hasText: '200' }).waitFor();
    const body = await me.locator('.live-responses-table .response-col_description pre').first().textContent();
    assert.equal(JSON.parse(body).userId, userId);
    assert.deepEqual(page.problems, []);
    await page.close();
  });
});
