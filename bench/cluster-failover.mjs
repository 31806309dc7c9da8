// The cost of losing a node (bench/cluster.sh kill-node): real EventSource clients of one live
// session, half on the victim node and half on the survivor, messages posted to the survivor at
// a steady rate; then kill -9 of the victim. Each of its clients, on the error, opens a new
// EventSource on the survivor with `?sinceId=<last id it saw>` (what a load balancer's retry
// does with Last-Event-ID). Prints one JSON object: how long the moved clients took (to see the
// loss, to be connected again, to receive a message posted after the kill) and, for every
// client, whether it ended with every id exactly once.
//
//   node bench/cluster-failover.mjs --victim URL --victim-pid PID --survivor URL --api-key KEY
//        [--clients 1000] [--rate 50] [--before-ms 3000] [--after-ms 5000]
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { EventSource } from "eventsource";

const { values: args } = parseArgs({
  options: {
    victim: { type: "string" },
    "victim-pid": { type: "string" },
    survivor: { type: "string" },
    "api-key": { type: "string" },
    clients: { type: "string", default: "1000" },
    rate: { type: "string", default: "50" },
    "before-ms": { type: "string", default: "3000" },
    "after-ms": { type: "string", default: "5000" },
  },
});
for (const required of ["victim", "victim-pid", "survivor", "api-key"]) {
  if (!args[required]) {
    console.error(`cluster-failover: --${required} is required`);
    process.exit(2);
  }
}
const clientCount = Number(args.clients);
const rate = Number(args.rate);
const session = randomUUID();
const streamPath = `/api/v1/chats/sse-connect/${session}`;
const settleTimeoutMs = 30_000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const elapsed = (from) => performance.now() - from;

// --- Clients ---------------------------------------------------------------------------------

let killedAt = null;    // performance.now() of the kill
let ackedAtKill = 0;    // the highest id acknowledged before the kill

class Client {
  constructor(index) {
    this.onVictim = index % 2 === 0;
    this.ids = [];
    this.lastId = 0;
    this.lostMs = null;       // kill → the error event
    this.reopenedMs = null;   // kill → open on the survivor
    this.deliveringMs = null; // kill → on the survivor, an id acknowledged after the kill
    this.opened = new Promise((resolve) => (this.resolveOpened = resolve));
    this.connect(this.onVictim ? args.victim : args.survivor, "");
  }

  connect(base, query) {
    const source = new EventSource(`${base}${streamPath}${query}`);
    this.source = source;
    source.onopen = () => {
      if (killedAt !== null && this.reopenedMs === null) this.reopenedMs = elapsed(killedAt);
      this.resolveOpened();
    };
    source.onmessage = (event) => {
      for (const message of JSON.parse(event.data)) {
        this.ids.push(message.id);
        this.lastId = Math.max(this.lastId, message.id);
        // On the survivor's stream only: the victim may have delivered a post in flight at
        // the kill before it died.
        if (this.reopenedMs !== null && this.deliveringMs === null && message.id > ackedAtKill) {
          this.deliveringMs = elapsed(killedAt);
        }
      }
    };
    source.onerror = () => {
      // Only the victim's clients move, once, after the kill; anything else keeps the
      // EventSource's own retry.
      if (!this.onVictim || killedAt === null || this.lostMs !== null) return;
      this.lostMs = elapsed(killedAt);
      source.close();
      this.connect(args.survivor, `?sinceId=${this.lastId}`);
    };
  }

  // Missing and doubled ids against 1..last (every client listened before the first post).
  check(last) {
    const seen = new Map();
    for (const id of this.ids) seen.set(id, (seen.get(id) ?? 0) + 1);
    let missing = 0;
    let doubled = 0;
    for (let id = 1; id <= last; id += 1) {
      const count = seen.get(id) ?? 0;
      if (count === 0) missing += 1;
      if (count > 1) doubled += count - 1;
    }
    const ordered = this.ids.every((id, i) => i === 0 || id > this.ids[i - 1]);
    return { missing, doubled, unexpected: this.ids.filter((id) => id > last).length, ordered };
  }
}

// --- Publisher -------------------------------------------------------------------------------

let acked = 0;
let refused = 0;
let publishing = true;

async function postOne(n) {
  const response = await fetch(`${args.survivor}/api/v1/sessions/${session}/messages`, {
    method: "POST",
    headers: { "X-Api-Key": args["api-key"], "Content-Type": "application/json" },
    body: JSON.stringify({ sender: "bench", contents: `failover ${n}` }),
  }).catch(() => null);
  if (response?.status === 202) {
    const { ids } = await response.json();
    acked = Math.max(acked, ...ids);
  } else {
    refused += 1;
  }
}

// Open loop: a post every 1/rate s whether or not the previous one was answered.
async function publish() {
  const interval = 1000 / rate;
  const start = performance.now();
  const inFlight = [];
  for (let n = 0; publishing; n += 1) {
    const due = start + n * interval;
    if (due > performance.now()) await sleep(due - performance.now());
    inFlight.push(postOne(n));
  }
  await Promise.all(inFlight);
}

// --- Run -------------------------------------------------------------------------------------

function percentile(values, p) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}
function summary(values) {
  const round = (v) => (v === null ? null : Math.round(v));
  return { p50: round(percentile(values, 50)), p99: round(percentile(values, 99)),
           max: round(percentile(values, 100)), count: values.length };
}

const clients = Array.from({ length: clientCount }, (_, i) => new Client(i));
await Promise.all(clients.map((client) => client.opened));
const publisher = publish();
await sleep(Number(args["before-ms"]));

ackedAtKill = acked;
killedAt = performance.now();
process.kill(Number(args["victim-pid"]), "SIGKILL");
await sleep(Number(args["after-ms"]));
publishing = false;
await publisher;

// Wait until every client holds the last acknowledged id, or the timeout.
const last = acked;
const settleStart = performance.now();
while (clients.some((client) => client.lastId < last) && elapsed(settleStart) < settleTimeoutMs) {
  await sleep(50);
}
for (const client of clients) client.source.close();

const moved = clients.filter((client) => client.onVictim);
const checks = clients.map((client) => client.check(last));
const result = {
  clients: clientCount,
  moved: moved.length,
  rate,
  acked_at_kill: ackedAtKill,
  acked_total: last,
  publish_refused: refused,
  lost_ms: summary(moved.filter((c) => c.lostMs !== null).map((c) => c.lostMs)),
  reconnected_ms: summary(moved.filter((c) => c.reopenedMs !== null).map((c) => c.reopenedMs)),
  delivering_ms: summary(moved.filter((c) => c.deliveringMs !== null).map((c) => c.deliveringMs)),
  never_delivering: moved.filter((c) => c.deliveringMs === null).length,
  clients_complete: checks.filter((c) => c.missing === 0 && c.doubled === 0 && c.unexpected === 0 && c.ordered).length,
  ids_missing: checks.reduce((sum, c) => sum + c.missing, 0),
  ids_doubled: checks.reduce((sum, c) => sum + c.doubled, 0),
  ids_unexpected: checks.reduce((sum, c) => sum + c.unexpected, 0),
  clients_out_of_order: checks.filter((c) => !c.ordered).length,
};
console.log(JSON.stringify(result));
process.exit(result.clients_complete === clientCount ? 0 : 1);
