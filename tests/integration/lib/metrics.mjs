// GET /metrics for the tests: the Prometheus text read into {series: value}, where a series is
// a sample line's name with its labels as written (`livechat_redis_connected{connection="saver"}`).

import assert from 'node:assert/strict';

import { request } from './api.mjs';

/** Parses Prometheus text: every sample line, comments left out. */
export function parseMetrics(text) {
  const values = {};
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    values[line.slice(0, space)] = Number(line.slice(space + 1));
  }
  return values;
}

/** GET /metrics of the server at `url` (asserts 200 and the text format), parsed. */
export async function scrape(url) {
  const res = await request(url, 'GET', '/metrics');
  assert.equal(res.status, 200, res.text);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
  return parseMetrics(res.text);
}
