import assert from 'node:assert/strict';
// Real-time clients for the tests (SPEC section 5): Server-Sent Events through the npm
// `eventsource` package and through a raw fetch, STOMP through `@stomp/stompjs` over `ws`, and a
// raw WebSocket speaking hand-written STOMP frames for what a well-behaved client never sends.
// Every client opened here is closed when the test file ends.

import { after } from 'node:test';
import { Client } from '@stomp/stompjs';
import { EventSource } from 'eventsource';
import WebSocket from 'ws';

export const STOMP_PROTOCOLS = ['v12.stomp', 'v11.stomp', 'v10.stomp'];
const DEFAULT_WAIT_MS = 5000;

const openClients = new Set();  // anything with close(); closed when the file ends

after(async () => {
  for (const client of openClients) {
    try { await client.close(); } catch { /* already gone */ }
  }
});

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls `check` (sync or async) every `intervalMs` until it returns something truthy, and
 * resolves to that; rejects after timeoutMs naming `what`. For state that sends no event (a
 * gauge on /metrics, a counter).
 */
export async function pollUntil(check, what, { timeoutMs = DEFAULT_WAIT_MS, intervalMs = 20 } = {}) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** ws://host:port/ws for the server at http://host:port. */
export function wsUrl(url, path = '/ws') {
  return url.replace(/^http/, 'ws') + path;
}

/**
 * Something that collects what arrives and lets a test wait until it has seen enough:
 * waitFor(predicate) re-checks predicate(this) after every arrival and rejects after timeoutMs
 * with describe() in the message, so a failure says what was seen.
 */
class Collector {
  constructor() {
    this.waiters = new Set();
  }

  notify() {
    for (const waiter of [...this.waiters]) waiter();
  }

  describe() { return ''; }

  waitFor(predicate, timeoutMs = DEFAULT_WAIT_MS, what = 'condition') {
    return new Promise((resolve, reject) => {
      let timer;
      const check = () => {
        let value;
        try {
          value = predicate(this);
        } catch (error) {
          this.waiters.delete(check);
          clearTimeout(timer);
          reject(error);
          return;
        }
        if (value) {
          this.waiters.delete(check);
          clearTimeout(timer);
          resolve(value);
        }
      };
      timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; ${this.describe()}`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }
}

/** "1..5, 7, 9..10" for a list of ids, to keep failure messages short. */
export function describeIds(ids) {
  const parts = [];
  let i = 0;
  while (i < ids.length) {
    let j = i;
    while (j + 1 < ids.length && ids[j + 1] === ids[j] + 1) j += 1;
    parts.push(i === j ? `${ids[i]}` : `${ids[i]}..${ids[j]}`);
    i = j + 1;
  }
  return `[${parts.join(', ')}]`;
}

/** [from, from+1, …, to]. */
export function range(from, to) {
  const ids = [];
  for (let id = from; id <= to; id += 1) ids.push(id);
  return ids;
}

// ---------------------------------------------------------------------------------------------
// Server-Sent Events

/**
 * An EventSource on a stream, recording what it sees in `events`:
 * {type: 'open'|'message'|'closed'|'left'|'error', data (parsed JSON when it is JSON), lastEventId,
 *  code, at}. A 'message' event's data is the array of Messages of one tick.
 */
export class SseClient extends Collector {
  constructor(es) {
    super();
    this.es = es;
    this.events = [];
    const record = (type) => (event) => {
      let data = event.data;
      if (typeof data === 'string') {
        try { data = JSON.parse(data); } catch { /* keep the text */ }
      }
      this.events.push({
        type, data, lastEventId: event.lastEventId, code: event.code, message: event.message,
        readyState: es.readyState, at: performance.now(),
      });
      this.notify();
    };
    es.addEventListener('open', record('open'));
    es.addEventListener('message', record('message'));
    es.addEventListener('closed', record('closed'));
    es.addEventListener('left', record('left'));
    es.addEventListener('error', record('error'));
    openClients.add(this);
  }

  /** The 'message' events (one per tick). */
  get batches() { return this.events.filter((e) => e.type === 'message'); }

  /** Every Message received, in arrival order. */
  get messages() { return this.batches.flatMap((e) => (Array.isArray(e.data) ? e.data : [])); }

  get ids() { return this.messages.map((m) => m.id); }

  get lastId() {
    const ids = this.ids;
    return ids.length ? ids[ids.length - 1] : undefined;
  }

  /** The `closed` event, if one came. */
  get closedEvent() { return this.events.find((e) => e.type === 'closed'); }

  /** The `left` event (the member exited), if one came. */
  get leftEvent() { return this.events.find((e) => e.type === 'left'); }

  /** Waits until a message with id >= `id` has arrived. */
  waitForId(id, timeoutMs = DEFAULT_WAIT_MS, label = 'message') {
    return this.waitFor((c) => c.ids.some((x) => x >= id), timeoutMs, `${label} id ${id}`);
  }

  /** Waits until `count` messages have arrived. */
  waitForCount(count, timeoutMs = DEFAULT_WAIT_MS) {
    return this.waitFor((c) => c.ids.length >= count, timeoutMs, `${count} messages`);
  }

  waitForClosed(timeoutMs = DEFAULT_WAIT_MS) {
    return this.waitFor((c) => c.closedEvent, timeoutMs, 'a `closed` event');
  }

  /** Waits for the 'error' that EventSource reports when the response ends or fails. */
  waitForStreamEnd(afterIndex = 0, timeoutMs = DEFAULT_WAIT_MS) {
    return this.waitFor((c) => c.events.slice(afterIndex).find((e) => e.type === 'error'),
                        timeoutMs, 'the end of the stream');
  }

  describe() {
    const kinds = this.events.map((e) => e.type).join(',');
    return `events seen: ${kinds || 'none'}; message ids ${describeIds(this.ids)}`;
  }

  close() {
    this.es.close();
    openClients.delete(this);
  }
}

/**
 * Opens `path` of the server at `url` with the npm EventSource and resolves once it is open.
 * token: sent as ?access_token= (tokenIn 'query', as a browser must) or as an Authorization
 * header (tokenIn 'header'). lastEventId: sent as Last-Event-ID on the first request (the
 * EventSource sends its own on reconnects). Rejects, with the HTTP status as `code`, if the
 * stream fails before it opens.
 */
export function openSse(url, path, { token, tokenIn = 'query', lastEventId, timeoutMs = DEFAULT_WAIT_MS } = {}) {
  const target = new URL(url + path);
  if (token !== undefined && tokenIn === 'query') target.searchParams.set('access_token', token);
  let first = true;
  const customFetch = (input, init) => {
    const headers = { ...init.headers };
    if (token !== undefined && tokenIn === 'header') headers.Authorization = `Bearer ${token}`;
    if (first && lastEventId !== undefined && !('Last-Event-ID' in headers)) {
      headers['Last-Event-ID'] = String(lastEventId);
    }
    first = false;
    return fetch(input, { ...init, headers });
  };
  const es = new EventSource(target, { fetch: customFetch });
  const client = new SseClient(es);
  return client.waitFor((c) => c.events.find((e) => e.type === 'open' || e.type === 'error'),
                        timeoutMs, 'the stream to open')
    .then((first) => {
      if (first.type === 'open') return client;
      client.close();
      throw Object.assign(new Error(`EventSource failed to open: ${first.message}`), { code: first.code });
    }, (error) => {
      client.close();
      throw error;
    });
}

/**
 * One SSE event-stream response read with plain fetch, for what EventSource hides: the
 * response head, `retry:` and comment lines, and the end of the body.
 * Resolves to {status, headers, text (so far), waitForText(predicate), ended, cancel()}.
 */
export async function openRawSse(url, path, { headers = {}, timeoutMs = DEFAULT_WAIT_MS } = {}) {
  const controller = new AbortController();
  const res = await fetch(url + path, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: controller.signal,
  });
  const stream = new RawSseStream(res, controller);
  openClients.add(stream);
  stream.pump(timeoutMs);
  return stream;
}

class RawSseStream extends Collector {
  constructor(res, controller) {
    super();
    this.status = res.status;
    this.headers = res.headers;
    this.res = res;
    this.controller = controller;
    this.text = '';
    this.endedAt = null;
    this.ended = new Promise((resolve) => { this.resolveEnded = resolve; });
  }

  async pump() {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of this.res.body) {
        this.text += decoder.decode(chunk, { stream: true });
        this.notify();
      }
    } catch {
      // aborted by cancel(), or the connection broke: either way the stream is over
    }
    this.endedAt = performance.now();
    this.resolveEnded(this.endedAt);
    this.notify();
  }

  waitForText(predicate, timeoutMs = DEFAULT_WAIT_MS, what = 'stream text') {
    return this.waitFor((s) => predicate(s.text) && s.text, timeoutMs, what);
  }

  /** Resolves to true once the response body ended, false after timeoutMs. */
  async waitEnded(timeoutMs = DEFAULT_WAIT_MS) {
    let timer;
    const timeout = new Promise((resolve) => { timer = setTimeout(resolve, timeoutMs, false); });
    const result = await Promise.race([this.ended.then(() => true), timeout]);
    clearTimeout(timer);
    return result;
  }

  /** The complete events received so far (see parseSseEvents). */
  get events() { return parseSseEvents(this.text).events; }

  describe() { return `stream so far: ${JSON.stringify(this.text.slice(0, 500))}`; }

  close() {
    this.controller.abort();
    openClients.delete(this);
  }
}

/**
 * Parses event-stream text into its complete events, as the HTML spec's parser does:
 * {events: [{event, id, data, retry, comments}], rest (text after the last complete event)}.
 * `data` is the joined data lines; fields of an event without data (like a lone `retry:`) still
 * make an event here, so that tests can see them.
 */
/**
 * Asserts an SSE stream's head (SPEC 5.2): 200, text/event-stream, no-cache, the CORS header for
 * `origin`, and `retry: 3000` as its first field (comment lines may come before it).
 */
export async function assertSseStreamHead(stream, origin) {
  assert.equal(stream.status, 200);
  assert.match(stream.headers.get('content-type') ?? '', /^text\/event-stream\b/);
  assert.match(stream.headers.get('cache-control') ?? '', /\bno-cache\b/);
  const allowed = stream.headers.get('access-control-allow-origin');
  assert.ok(allowed === '*' || allowed === origin, `Access-Control-Allow-Origin: ${allowed}`);
  const withoutComments = (text) => text.replace(/^(:[^\n]*\n|\n)*/, '');
  const text = await stream.waitForText((t) => withoutComments(t).includes('\n'), 3000,
                                        'the first field line');
  const firstField = withoutComments(text).split('\n')[0].replace(/\r$/, '');
  assert.match(firstField, /^retry: ?3000$/, `first field line: ${JSON.stringify(firstField)}`);
}

export function parseSseEvents(text) {
  const events = [];
  const normalized = text.replace(/\r\n?/g, '\n');
  const blocks = normalized.split('\n\n');
  const rest = blocks.pop();  // after the last blank line: incomplete
  for (const block of blocks) {
    if (block === '') continue;
    const event = { event: undefined, id: undefined, data: undefined, retry: undefined, comments: [] };
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) { event.comments.push(line.slice(1).trim()); continue; }
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'data') event.data = event.data === undefined ? value : `${event.data}\n${value}`;
      else if (field === 'event') event.event = value;
      else if (field === 'id') event.id = value;
      else if (field === 'retry') event.retry = value;
    }
    events.push(event);
  }
  return { events, rest };
}

// ---------------------------------------------------------------------------------------------
// STOMP with @stomp/stompjs

/** A `ws` WebSocket offering `protocols` (none at all when undefined). */
function openWebSocket(address, protocols, headers = {}) {
  return protocols === undefined ? new WebSocket(address, { headers })
                                 : new WebSocket(address, protocols, { headers });
}

/** Error raised for a STOMP ERROR frame; `frame` is the stompjs frame. */
export class StompErrorFrame extends Error {
  constructor(frame) {
    super(`STOMP ERROR: ${frame.headers.message ?? '(no message header)'} ${frame.body ?? ''}`.trim());
    this.frame = frame;
  }
}

/**
 * A connected stompjs client. `errors` holds the ERROR frames received, `closeEvent` the
 * WebSocket close once it happened, `connected` the CONNECTED frame.
 */
export class StompSession extends Collector {
  constructor(client) {
    super();
    this.client = client;
    this.errors = [];
    this.unhandled = [];
    this.closeEvent = null;
    this.closedAt = null;
    this.connected = null;
    this.webSocket = null;
    this.receiptCounter = 0;
    openClients.add(this);
  }

  /** The subprotocol the server chose. */
  get protocol() { return this.webSocket?.protocol; }

  get isOpen() { return this.closeEvent === null; }

  /** Subscribes to `destination` and returns the subscription's collector. */
  subscribe(destination, headers = {}) {
    const subscription = new StompSubscription(this);
    subscription.handle = this.client.subscribe(destination, (message) => subscription.add(message), headers);
    subscription.id = subscription.handle.id;
    return subscription;
  }

  /**
   * SENDs `body` (an object is sent as JSON) with a receipt header and resolves to the RECEIPT
   * frame; rejects with StompErrorFrame on ERROR, or on close or timeout before the receipt.
   */
  publishWithReceipt(destination, body, { headers = {}, timeoutMs = DEFAULT_WAIT_MS } = {}) {
    this.receiptCounter += 1;
    const receipt = `r-${this.receiptCounter}-${Math.random().toString(16).slice(2, 8)}`;
    const errorsBefore = this.errors.length;
    let receiptFrame = null;
    this.client.watchForReceipt(receipt, (frame) => { receiptFrame = frame; this.notify(); });
    this.client.publish({
      destination,
      body: typeof body === 'string' ? body : JSON.stringify(body),
      headers: { 'content-type': 'application/json', ...headers, receipt },
    });
    return this.waitFor((s) => {
      if (receiptFrame) return receiptFrame;
      if (s.errors.length > errorsBefore) throw new StompErrorFrame(s.errors[errorsBefore]);
      if (!s.isOpen) throw new Error(`connection closed (code ${s.closeEvent.code}) before RECEIPT ${receipt}`);
      return null;
    }, timeoutMs, `RECEIPT ${receipt}`).catch((error) => {
      error.receipt = receipt;  // so that a test can match the ERROR's receipt-id
      throw error;
    });
  }

  /** Waits for an ERROR frame (the first one after `afterIndex`) and returns it. */
  waitForError(timeoutMs = DEFAULT_WAIT_MS, afterIndex = 0) {
    return this.waitFor((s) => s.errors[afterIndex], timeoutMs, 'an ERROR frame');
  }

  /** Resolves to true once the WebSocket closed, false after timeoutMs. */
  waitClosed(timeoutMs = DEFAULT_WAIT_MS) {
    return this.waitFor((s) => !s.isOpen, timeoutMs, 'the WebSocket to close').then(() => true, () => false);
  }

  describe() {
    return `errors: ${JSON.stringify(this.errors.map((f) => f.headers))}; ` +
           `closed: ${this.closeEvent ? this.closeEvent.code : 'no'}`;
  }

  async close() {
    openClients.delete(this);
    await this.client.deactivate({ force: true });
  }
}

export class StompSubscription extends Collector {
  constructor(session) {
    super();
    this.session = session;
    this.frames = [];  // {headers, body (text), json (parsed body or undefined)}
  }

  add(message) {
    let json;
    try { json = JSON.parse(message.body); } catch { json = undefined; }
    this.frames.push({ headers: { ...message.headers }, body: message.body, json, at: performance.now() });
    this.notify();
  }

  /** Bodies that are Messages (type "message"), in arrival order. */
  get messages() { return this.frames.map((f) => f.json).filter((m) => m && m.type === 'message'); }

  get ids() { return this.messages.map((m) => m.id); }

  get closedFrame() { return this.frames.find((f) => f.json && f.json.type === 'closed'); }

  get leftFrame() { return this.frames.find((f) => f.json && f.json.type === 'left'); }

  waitForId(id, timeoutMs = DEFAULT_WAIT_MS) {
    return this.waitFor((s) => s.ids.some((x) => x >= id), timeoutMs, `message id ${id}`);
  }

  waitForCount(count, timeoutMs = DEFAULT_WAIT_MS) {
    return this.waitFor((s) => s.ids.length >= count, timeoutMs, `${count} messages`);
  }

  waitForClosed(timeoutMs = DEFAULT_WAIT_MS) {
    return this.waitFor((s) => s.closedFrame, timeoutMs, 'a {"type":"closed"} MESSAGE');
  }

  // An ERROR or a close ends a subscription; a waiter should hear of it at once.
  waitFor(predicate, timeoutMs, what) {
    const session = this.session;
    const forward = () => this.notify();
    session.waiters.add(forward);
    return super.waitFor((s) => {
      const value = predicate(s);
      if (value) return value;
      if (session.errors.length) throw new StompErrorFrame(session.errors[0]);
      if (!session.isOpen) {
        throw new Error(`connection closed (code ${session.closeEvent.code}) while waiting for ${what}; ` +
                        s.describe());
      }
      return null;
    }, timeoutMs, what).finally(() => session.waiters.delete(forward));
  }

  unsubscribe() { this.handle.unsubscribe(); }

  describe() { return `message ids ${describeIds(this.ids)}; ${this.session.describe()}`; }
}

/**
 * Connects a stompjs Client to the server's /ws and resolves to a StompSession on CONNECTED.
 * token: sent as `Authorization: Bearer <token>` (bearer: false sends the bare token; none:
 * anonymous). heartbeat: {outgoing, incoming} in ms (stompjs defaults 10000). protocols: the
 * WebSocket subprotocols offered. Rejects with StompErrorFrame on ERROR, or when the socket
 * closes or the timeout passes before CONNECTED.
 */
export function connectStomp(url, {
  token, bearer = true, heartbeat = {}, protocols = STOMP_PROTOCOLS, connectHeaders = {},
  stompVersions, timeoutMs = DEFAULT_WAIT_MS, path = '/ws',
} = {}) {
  const headers = { ...connectHeaders };
  if (token !== undefined) headers.Authorization = bearer ? `Bearer ${token}` : token;
  let session;
  const client = new Client({
    webSocketFactory: () => {
      const ws = openWebSocket(wsUrl(url, path), protocols);
      ws.on('error', () => {});  // reported through onWebSocketClose
      session.webSocket = ws;
      return ws;
    },
    connectHeaders: headers,
    reconnectDelay: 0,
    heartbeatIncoming: heartbeat.incoming ?? 10000,
    heartbeatOutgoing: heartbeat.outgoing ?? 10000,
    connectionTimeout: timeoutMs,
    onConnect: (frame) => { session.connected = frame; session.notify(); },
    onStompError: (frame) => { session.errors.push(frame); session.notify(); },
    onWebSocketClose: (event) => {
      session.closeEvent = { code: event.code, reason: event.reason };
      session.closedAt = performance.now();
      session.notify();
    },
    onUnhandledFrame: (frame) => { session.unhandled.push(frame); session.notify(); },
    onUnhandledMessage: (message) => { session.unhandled.push(message); session.notify(); },
  });
  if (stompVersions) client.stompVersions = stompVersions;
  session = new StompSession(client);
  client.activate();
  return session.waitFor((s) => {
    if (s.connected) return s;
    if (s.errors.length) throw new StompErrorFrame(s.errors[0]);
    if (!s.isOpen) throw new Error(`WebSocket closed (code ${s.closeEvent.code}) before CONNECTED`);
    return null;
  }, timeoutMs + 500, 'CONNECTED').catch(async (error) => {
    // Keep the session around for tests that look at what happened after a refusal.
    error.session = session;
    throw error;
  });
}

// ---------------------------------------------------------------------------------------------
// Raw STOMP over a WebSocket

/** The text of one STOMP frame: command, headers, blank line, body, NUL. */
export function stompFrame(command, headers = {}, body = '') {
  const lines = [command];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}:${value}`);
  return `${lines.join('\n')}\n\n${body}\0`;
}

/**
 * Splits the text of one WebSocket message into STOMP frames:
 * {frames: [{command, headers, body}], heartbeats (EOLs outside frames)}. Repeated headers keep
 * their first value, as STOMP 1.2 says.
 */
export function parseStompFrames(text) {
  const frames = [];
  let heartbeats = 0;
  let rest = text;
  for (;;) {
    const leading = rest.match(/^(\r?\n)*/)[0];
    heartbeats += (leading.match(/\n/g) || []).length;
    rest = rest.slice(leading.length);
    if (rest === '') break;
    const blank = /\r?\n\r?\n/.exec(rest);
    if (!blank) { frames.push({ command: null, headers: {}, body: rest, incomplete: true }); break; }
    const headLines = rest.slice(0, blank.index).split(/\r?\n/);
    const command = headLines[0];
    const headers = {};
    // STOMP 1.2 escapes \r \n : and \ in headers of every frame but CONNECT and CONNECTED.
    const unescape = command === 'CONNECTED' || command === 'CONNECT'
      ? (value) => value
      : (value) => value.replace(/\\([rnc\\])/g, (_, c) => ({ r: '\r', n: '\n', c: ':', '\\': '\\' })[c]);
    for (const line of headLines.slice(1)) {
      const colon = line.indexOf(':');
      const name = unescape(colon < 0 ? line : line.slice(0, colon));
      if (!(name in headers)) headers[name] = colon < 0 ? '' : unescape(line.slice(colon + 1));
    }
    const bodyStart = blank.index + blank[0].length;
    let bodyEnd;
    if (headers['content-length'] !== undefined) {
      const bytes = Number(headers['content-length']);
      const tail = Buffer.from(rest.slice(bodyStart), 'utf8');
      bodyEnd = bodyStart + tail.subarray(0, bytes).toString('utf8').length;
    } else {
      bodyEnd = rest.indexOf('\0', bodyStart);
      if (bodyEnd < 0) bodyEnd = rest.length;
    }
    const body = rest.slice(bodyStart, bodyEnd);
    const terminated = rest[bodyEnd] === '\0';
    frames.push({ command, headers, body, incomplete: !terminated });
    rest = rest.slice(bodyEnd + (terminated ? 1 : 0));
  }
  return { frames, heartbeats };
}

/**
 * A WebSocket speaking STOMP by hand. `messages` holds every WebSocket message received (text),
 * `frames` every frame parsed from them, `heartbeats` the number of heart-beat EOLs.
 */
export class RawStomp extends Collector {
  /**
   * Opens /ws offering `protocols` (none when undefined), with `headers` on the upgrade request,
   * and resolves once the socket is open.
   */
  static open(url, protocols, { path = '/ws', headers = {}, timeoutMs = DEFAULT_WAIT_MS } = {}) {
    const ws = openWebSocket(wsUrl(url, path), protocols, headers);
    const raw = new RawStomp(ws);
    return raw.waitFor((r) => {
      if (r.opened) return r;
      if (r.closeInfo) throw new Error(`WebSocket upgrade failed: ${r.failure ?? `closed with ${r.closeInfo.code}`}`);
      return null;
    }, timeoutMs, 'the WebSocket to open');
  }

  constructor(ws) {
    super();
    this.ws = ws;
    this.opened = false;
    this.messages = [];
    this.frames = [];
    this.heartbeats = 0;
    this.closeInfo = null;
    this.failure = null;
    ws.on('open', () => { this.opened = true; this.openedAt = performance.now(); this.notify(); });
    ws.on('unexpected-response', (req, res) => {
      this.failure = `HTTP ${res.statusCode} instead of 101`;
      res.resume();
      ws.terminate();
    });
    ws.on('message', (data) => {
      const text = data.toString('utf8');
      const parsed = parseStompFrames(text);
      const at = performance.now();
      this.messages.push({ text, frameCount: parsed.frames.length, at });
      this.heartbeats += parsed.heartbeats;
      for (const frame of parsed.frames) this.frames.push({ ...frame, at });
      this.notify();
    });
    ws.on('error', (error) => { this.failure ??= error.message; });
    ws.on('close', (code, reason) => {
      this.closeInfo = { code, reason: reason.toString(), at: performance.now() };
      this.notify();
    });
    openClients.add(this);
  }

  /** The subprotocol the server chose ('' for none). */
  get protocol() { return this.ws.protocol; }

  get isOpen() { return this.closeInfo === null; }

  /** Sends a frame built by stompFrame. */
  send(command, headers = {}, body = '') { return this.sendRaw(stompFrame(command, headers, body)); }

  /** Sends text or bytes as one WebSocket message. */
  sendRaw(data) {
    return new Promise((resolve) => {
      if (this.ws.readyState !== WebSocket.OPEN) return resolve(false);
      this.ws.send(data, (error) => resolve(!error));
    });
  }

  /** Sends CONNECT (with `headers`) and resolves to the CONNECTED frame; rejects on anything else. */
  async connect(headers = {}, { timeoutMs = DEFAULT_WAIT_MS, command = 'CONNECT' } = {}) {
    await this.send(command, { 'accept-version': '1.2,1.1,1.0', host: '127.0.0.1', ...headers });
    const frame = await this.waitForFrame((f) => f.command === 'CONNECTED' || f.command === 'ERROR',
                                          timeoutMs, 'CONNECTED');
    if (frame.command !== 'CONNECTED') {
      throw new Error(`CONNECT answered by ${frame.command}: ${JSON.stringify(frame.headers)}`);
    }
    return frame;
  }

  /** Waits for a frame matching `predicate` (after the first `afterIndex` frames). */
  waitForFrame(predicate, timeoutMs = DEFAULT_WAIT_MS, what = 'a frame', afterIndex = 0) {
    return this.waitFor((r) => r.frames.slice(afterIndex).find(predicate), timeoutMs, what);
  }

  /** Waits for the RECEIPT whose receipt-id is `receipt`. */
  waitForReceipt(receipt, timeoutMs = DEFAULT_WAIT_MS) {
    return this.waitForFrame((f) => f.command === 'RECEIPT' && f.headers['receipt-id'] === receipt,
                             timeoutMs, `RECEIPT ${receipt}`);
  }

  /** Resolves to true once the server closed the socket, false after timeoutMs. */
  waitClosed(timeoutMs = DEFAULT_WAIT_MS) {
    return this.waitFor((r) => !r.isOpen, timeoutMs, 'the close').then(() => true, () => false);
  }

  describe() {
    const frames = this.frames.map((f) => `${f.command} ${JSON.stringify(f.headers)}`).join(' | ');
    return `frames: ${frames || 'none'}; closed: ${this.closeInfo ? this.closeInfo.code : 'no'}` +
           `${this.failure ? `; failure: ${this.failure}` : ''}`;
  }

  close() {
    openClients.delete(this);
    this.ws.terminate();
  }
}
