// Small REST client for the tests: one request function and the few calls most tests need.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';

export const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Sends one request and resolves to {status, headers, text, json}; json is undefined when the
 * body is empty or not JSON. `body` is sent as JSON; `raw` (string or Buffer) as it is, with
 * Content-Type application/json unless `headers` says otherwise.
 */
export async function request(url, method, path, { body, token, headers = {}, raw } = {}) {
  const allHeaders = { ...headers };
  let payload;
  if (raw !== undefined) payload = raw;
  else if (body !== undefined) payload = JSON.stringify(body);
  if (payload !== undefined && !Object.keys(allHeaders).some((h) => h.toLowerCase() === 'content-type')) {
    allHeaders['content-type'] = 'application/json';
  }
  if (token !== undefined) allHeaders.authorization = `Bearer ${token}`;
  const res = await fetch(url + path, {
    method, headers: allHeaders, body: payload, signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  let json;
  try { json = text === '' ? undefined : JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, headers: res.headers, text, json };
}

/** Asserts that `res` is the error of SPEC section 2: this status, {code, message}. */
export function assertError(res, status, code) {
  const where = `${res.status} ${res.text.slice(0, 300)}`;
  assert.equal(res.status, status, `expected status ${status}, got ${where}`);
  assert.equal(typeof res.json, 'object', `error body is not a JSON object: ${where}`);
  assert.ok(res.json !== null && !Array.isArray(res.json), `error body is not an object: ${where}`);
  const codes = Array.isArray(code) ? code : [code];
  assert.ok(codes.includes(res.json.code), `expected code ${codes.join(' or ')}, got ${where}`);
  assert.equal(typeof res.json.message, 'string', `error has no message: ${where}`);
}

let counter = 0;

/** A user id no other test (or earlier run on the same data) uses: 3–32 of [A-Za-z0-9_.-]. */
export function uniqueUserId(prefix = 'u') {
  counter += 1;
  return `${prefix}${counter}_${crypto.randomBytes(4).toString('hex')}`;
}

export const PASSWORD = 'correct horse battery';

export function signUp(url, userId, password = PASSWORD) {
  return request(url, 'POST', '/users/signup', { body: { userId, password } });
}

export function signIn(url, userId, password = PASSWORD) {
  return request(url, 'POST', '/users/signin', { body: { userId, password } });
}

/** Signs a new user up and in: {userId, password, accessToken, refreshToken}. */
export async function newUser(url, prefix = 'u') {
  const userId = uniqueUserId(prefix);
  const up = await signUp(url, userId);
  assert.equal(up.status, 201, `signup: ${up.status} ${up.text}`);
  const inn = await signIn(url, userId);
  assert.equal(inn.status, 200, `signin: ${inn.status} ${inn.text}`);
  return { userId, password: PASSWORD, ...inn.json };
}

/** Creates a room and returns it (asserts 201). */
export async function createRoom(url, token, name, password) {
  const body = password === undefined ? { name } : { name, password };
  const res = await request(url, 'POST', '/chatrooms', { body, token });
  assert.equal(res.status, 201, `create room: ${res.status} ${res.text}`);
  return res.json;
}

export function getRoom(url, token, roomId) {
  return request(url, 'GET', `/chatrooms/${roomId}`, { token });
}

export function joinRoom(url, token, roomId, password) {
  const body = password === undefined ? {} : { password };
  return request(url, 'POST', `/chatrooms/${roomId}`, { body, token });
}

export function exitRoom(url, token, roomId) {
  return request(url, 'PUT', `/chatrooms/${roomId}`, { token });
}
