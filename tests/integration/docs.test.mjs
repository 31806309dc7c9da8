// The API explains itself (SPEC section 8): GET /v3/api-docs is a valid OpenAPI document,
// /asyncapi.yaml a valid AsyncAPI document, Swagger UI and the chat page are served by the
// binary with nothing from elsewhere, and the headers pages need are there.
// (The route table and the OpenAPI paths are compared in tests/unit/api_docs_test.cpp; the
// pages run in a browser in tests/browser/.)

import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';

import SwaggerParser from '@apidevtools/swagger-parser';
import { Parser as AsyncApiParser } from '@asyncapi/parser';
import YAML from 'yaml';

import { startServer } from './lib/server.mjs';
import { assertError, newUser, request } from './lib/api.mjs';

const PAGE_BUDGET_BYTES = 100 * 1024;

let url;
let host;

before(async () => {
  const server = await startServer();
  url = server.url;
  host = new URL(url).host;
});

async function get(path, headers = {}) {
  const res = await fetch(url + path, { headers, redirect: 'manual', signal: AbortSignal.timeout(15_000) });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

// The scripts, styles and icons an HTML page loads, by the URL it names them with.
function referencedFiles(html) {
  return [...html.matchAll(/<(?:script|link)\b[^>]*?\b(?:src|href)="([^"]+)"/g)].map((match) => match[1]);
}

describe('OpenAPI', () => {
  test('GET /v3/api-docs is an OpenAPI 3 document that a validator accepts', async () => {
    const res = await get('/v3/api-docs');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^application\/json/);
    const document = JSON.parse(res.body.toString('utf8'));
    assert.match(document.openapi, /^3\./);
    // validate() dereferences in place: give it its own copy.
    await SwaggerParser.validate(structuredClone(document));
  });

  test('it documents every call of the contract, with its security and errors', async () => {
    const { paths, components } = JSON.parse((await get('/v3/api-docs')).body.toString('utf8'));
    const expected = {
      '/users/signup': ['post'], '/users/signin': ['post'], '/users/refresh': ['post'],
      '/users/me': ['get'], '/chatrooms': ['get', 'post'], '/chatrooms/connected': ['get'],
      '/chatrooms/{chatRoomId}': ['get', 'post', 'put'],
      '/chatrooms/{chatRoomId}/messages': ['get', 'post'], '/chatrooms/{chatRoomId}/events': ['get'],
      '/api/v1/sessions/{sessionId}/messages': ['get', 'post'],
      '/api/v1/sessions/{sessionId}/end': ['post'], '/api/v1/chats/sse-connect/{sessionId}': ['get'],
      '/healthz': ['get'], '/readyz': ['get'], '/metrics': ['get'], '/ws': ['get'],
      '/v3/api-docs': ['get'], '/asyncapi.yaml': ['get'], '/': ['get'],
    };
    for (const [path, methods] of Object.entries(expected)) {
      assert.ok(paths[path], `${path} is documented`);
      for (const method of methods) assert.ok(paths[path][method], `${method} ${path} is documented`);
    }
    assert.equal(components.securitySchemes.bearerAuth.type, 'http');
    assert.equal(components.securitySchemes.bearerAuth.scheme, 'bearer');
    assert.equal(components.securitySchemes.tenantApiKey.in, 'header');
    assert.equal(components.securitySchemes.tenantApiKey.name, 'X-Api-Key');
    assert.deepEqual(paths['/users/me'].get.security, [{ bearerAuth: [] }]);
    assert.deepEqual(paths['/api/v1/sessions/{sessionId}/end'].post.security, [{ tenantApiKey: [] }]);
    assert.ok(paths['/users/signup'].post.requestBody, 'signup has a request body');
    assert.ok(paths['/users/signup'].post.responses['201'], 'signup answers 201');
    assert.ok(paths['/users/signup'].post.responses['409'], 'signup documents 409 USER_EXISTS');
    assert.ok(paths['/chatrooms/{chatRoomId}'].post.responses['403'], 'join documents 403');
    assert.ok(components.schemas.Error.properties.code.enum.includes('WRONG_PASSWORD'));
  });
});

describe('AsyncAPI', () => {
  test('GET /asyncapi.yaml parses as YAML and as AsyncAPI, with no error', async () => {
    const res = await get('/asyncapi.yaml');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^application\/yaml/);
    const text = res.body.toString('utf8');
    const yaml = YAML.parseDocument(text);
    assert.deepEqual(yaml.errors, []);
    assert.deepEqual(yaml.warnings, []);
    const { document, diagnostics } = await new AsyncApiParser().parse(text);
    const errors = diagnostics.filter((each) => each.severity === 0);  // 0: error
    assert.deepEqual(errors, []);
    assert.ok(document, 'the AsyncAPI parser returned a document');
  });

  test('it describes the STOMP destinations, the SSE streams, resume and the end events', async () => {
    const spec = YAML.parse((await get('/asyncapi.yaml')).body.toString('utf8'));
    assert.match(spec.asyncapi, /^3\./);
    const addresses = Object.values(spec.channels).map((channel) => channel.address);
    for (const address of ['/chat/{roomId}', '/queue/message/{roomId}', '/chatrooms/{roomId}/events',
                           '/api/v1/chats/sse-connect/{sessionId}']) {
      assert.ok(addresses.includes(address), `channel ${address}`);
    }
    const messages = spec.components.messages;
    assert.ok(messages.stompSubscribe.headers.properties['x-since-id'], 'SUBSCRIBE x-since-id');
    assert.deepEqual(messages.stompMessage.traits.map((t) => t.$ref), ['#/components/messageTraits/stompMessageHeaders']);
    assert.equal(spec.components.schemas.Closed.properties.type.const, 'closed');
    assert.equal(spec.components.schemas.Left.properties.type.const, 'left');
    assert.ok(messages.stompError.headers.properties['receipt-id']);
  });
});

describe('Swagger UI', () => {
  test('/swagger-ui and /swagger-ui/ redirect to its index.html', async () => {
    for (const path of ['/swagger-ui', '/swagger-ui/']) {
      const res = await get(path);
      assert.equal(res.status, 302, path);
      assert.equal(res.headers.get('location'), '/swagger-ui/index.html');
    }
  });

  test('index.html and every file it loads come from this server', async () => {
    const page = await get('/swagger-ui/index.html');
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type'), /^text\/html/);
    const files = referencedFiles(page.body.toString('utf8'));
    assert.ok(files.includes('swagger-ui-bundle.js') && files.includes('swagger-ui.css'), files.join());
    for (const file of files) {
      if (file.startsWith('data:')) continue;
      assert.ok(!/^[a-z]+:/i.test(file) && !file.startsWith('//'), `${file} is local`);
      const res = await get(`/swagger-ui/${file}`);
      assert.equal(res.status, 200, file);
      assert.ok(res.body.length > 0, file);
    }
  });

  test('an unknown file is a JSON 404', async () => {
    const res = await request(url, 'GET', '/swagger-ui/nope.js');
    assertError(res, 404, 'NOT_FOUND');
  });
});

describe('the chat page', () => {
  test('GET / is the page, whose files are local and under 100 KiB in all', async () => {
    const page = await get('/');
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type'), /^text\/html/);
    const html = page.body.toString('utf8');
    for (const label of ['User ID', 'Password', 'Sign up', 'Sign in', 'Room name', 'Create', 'Message', 'Send']) {
      assert.ok(html.includes(`>${label}<`), `the page has a visible "${label}"`);
    }
    let total = page.body.length;
    for (const file of referencedFiles(html)) {
      if (file.startsWith('data:')) continue;
      assert.ok(file.startsWith('/assets/'), `${file} is local`);
      const res = await get(file);
      assert.equal(res.status, 200, file);
      assert.match(res.headers.get('content-type'), /^text\/(javascript|css)/, file);
      total += res.body.length;
    }
    assert.ok(total < PAGE_BUDGET_BYTES, `the page weighs ${total} bytes`);
    assert.ok(!/<script(?![^>]*\bsrc=)/.test(html), 'no inline script');
  });

  test('pages carry a Content-Security-Policy that allows only their own scripts and server', async () => {
    for (const path of ['/', '/swagger-ui/index.html']) {
      const policy = (await get(path)).headers.get('content-security-policy');
      assert.ok(policy, `${path} has a policy`);
      const directives = Object.fromEntries(policy.split(';').map((d) => d.trim().split(/\s+/))
        .map(([name, ...values]) => [name, values]));
      assert.deepEqual(directives['default-src'], ["'none'"]);
      assert.deepEqual(directives['script-src'], ["'self'"]);
      assert.deepEqual(directives['connect-src'], ["'self'", `ws://${host}`, `wss://${host}`]);
      assert.deepEqual(directives['frame-ancestors'], ["'none'"]);
    }
  });

  test('files are validated by ETag: 304 when unchanged', async () => {
    const first = await get('/assets/app.js');
    const etag = first.headers.get('etag');
    assert.match(etag, /^"[0-9a-f]{64}"$/);
    assert.equal(first.headers.get('cache-control'), 'no-cache');
    const again = await get('/assets/app.js', { 'If-None-Match': etag });
    assert.equal(again.status, 304);
    assert.equal(again.body.length, 0);
    assert.equal((await get('/assets/app.js', { 'If-None-Match': '"other"' })).status, 200);
  });

  test('an unknown asset is a JSON 404, and a path outside the assets finds nothing', async () => {
    assertError(await request(url, 'GET', '/assets/nope.js'), 404, 'NOT_FOUND');
    assertError(await request(url, 'GET', '/assets/..%2Fv3%2Fapi-docs'), 404, 'NOT_FOUND');
    assertError(await request(url, 'GET', '/assets/index.html'), 404, 'NOT_FOUND');
  });
});

describe('headers', () => {
  test('X-Content-Type-Options: nosniff on answers and errors', async () => {
    for (const path of ['/', '/v3/api-docs', '/healthz', '/no-such-thing']) {
      assert.equal((await get(path)).headers.get('x-content-type-options'), 'nosniff', path);
    }
  });

  test('token answers are never cached: Cache-Control: no-store on sign-in and refresh', async () => {
    const user = await newUser(url, 'nostore');
    const signin = await request(url, 'POST', '/users/signin', { body: { userId: user.userId, password: user.password } });
    assert.equal(signin.status, 200);
    assert.equal(signin.headers.get('cache-control'), 'no-store');
    const refresh = await request(url, 'POST', '/users/refresh', { body: { refreshToken: signin.json.refreshToken } });
    assert.equal(refresh.status, 200);
    assert.equal(refresh.headers.get('cache-control'), 'no-store');
  });
});
