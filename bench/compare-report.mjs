// The report of bench/compare.sh: one table per scenario, and the charts, from a results folder.
//
//   node bench/compare-report.mjs DIR
//
// DIR holds runs.tsv (scenario, server, note, the planned connections, messages and rate, file:
// one line per bench that printed a result) and the `livechat bench --json` results it names. Prints the tables; writes latency.png,
// deliveries.png and memory.png into DIR with gnuplot (their data and script beside them, so a
// chart can be redrawn or restyled by hand). Servers are compared as livechat / peer for every
// figure: for times and memory below 1 is better for livechat, for rates above 1. Under each
// table, issue 12's goals for livechat in that scenario, each met or not in this run.
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

const dir = process.argv[2];
if (!dir) {
  console.error("usage: node bench/compare-report.mjs RESULTS_DIR");
  process.exit(2);
}

const serverOrder = ["livechat", "nchan", "socketio", "minimal"];
const scenarioOrder = ["hot-session", "hot-session-large", "chat-room", "idle-ws", "idle-sse"];

// --- Reading ----------------------------------------------------------------------------------

const runs = readFileSync(join(dir, "runs.tsv"), "utf8")
  .split("\n")
  .slice(1)
  .filter((line) => line.trim() !== "")
  .map((line) => {
    const [scenario, server, note, connections, messages, rate, file] = line.split("\t");
    return {
      scenario,
      server,
      note,
      plan: { connections: Number(connections), messages: Number(messages), rate: Number(rate) },
      result: JSON.parse(readFileSync(join(dir, file), "utf8")),
    };
  });

const byScenario = new Map();
for (const run of runs) {
  if (!byScenario.has(run.scenario)) byScenario.set(run.scenario, new Map());
  byScenario.get(run.scenario).set(run.server, run);
}
const scenarios = [...byScenario.keys()].sort(
  (a, b) => rank(scenarioOrder, a) - rank(scenarioOrder, b),
);
function rank(order, name) {
  const index = order.indexOf(name);
  return index < 0 ? order.length : index;
}
function serversOf(scenario) {
  return [...byScenario.get(scenario).keys()].sort(
    (a, b) => rank(serverOrder, a) - rank(serverOrder, b),
  );
}

// --- Figures ----------------------------------------------------------------------------------

// Each figure: a label, how to read it from a result, the target a run implies by itself (a
// function of its plan: everyone connects, nothing is lost, every delivery of the offered rate
// arrives), and whether it only means something when messages flowed. A goal with a fixed limit
// on the figure (below) is its target too.
const kib = 1024;
const figures = [
  { label: "connections made", get: (r) => r.connections?.made, target: (plan) => plan.connections },
  { label: "connections failed", get: (r) => r.connections?.failed, target: () => 0 },
  { label: "connections dropped", get: (r) => r.connections?.dropped, target: () => 0 },
  { label: "connect p50 (ms)", get: (r) => r.connect_ms?.p50 },
  { label: "connect p99 (ms)", get: (r) => r.connect_ms?.p99 },
  { label: "connect max (ms)", get: (r) => r.connect_ms?.max },
  { label: "messages acked", get: (r) => r.messages?.acked, target: (plan) => plan.messages, flowing: true },
  { label: "publish offered (msg/s)", get: (r) => r.messages?.offered_per_s, flowing: true },
  { label: "publish achieved (msg/s)", get: (r) => r.messages?.achieved_per_s, target: (plan) => plan.rate, flowing: true },
  { label: "publisher lag max (ms)", get: (r) => r.messages?.lag_max_ms, flowing: true },
  { label: "publish ack p50 (ms)", get: (r) => r.messages?.ack_p50_ms, flowing: true },
  { label: "publish ack p99 (ms)", get: (r) => r.messages?.ack_p99_ms, flowing: true },
  { label: "deliveries received", get: (r) => r.deliveries?.received, target: (plan) => plan.connections * plan.messages, flowing: true },
  { label: "deliveries missing", get: (r) => r.deliveries?.missing, target: () => 0, flowing: true },
  { label: "deliveries duplicate", get: (r) => r.deliveries?.duplicate, target: () => 0, flowing: true },
  { label: "deliveries unexpected", get: (r) => r.deliveries?.unexpected, target: () => 0, flowing: true },
  {
    label: "deliveries/s",
    get: (r) => r.deliveries?.per_second,
    // Every subscriber receives every message at the publishing rate.
    target: (plan) => plan.connections * plan.rate,
    flowing: true,
  },
  { label: "latency p50 (ms)", get: (r) => r.latency_ms?.p50, flowing: true },
  { label: "latency p90 (ms)", get: (r) => r.latency_ms?.p90, flowing: true },
  { label: "latency p99 (ms)", get: (r) => r.latency_ms?.p99, flowing: true },
  { label: "latency p99.9 (ms)", get: (r) => r.latency_ms?.p999, flowing: true },
  { label: "latency max (ms)", get: (r) => r.latency_ms?.max, flowing: true },
  { label: "server RSS before (MiB)", get: (r) => mib(r.server?.rss_before_kib) },
  { label: "server RSS connected (MiB)", get: (r) => mib(r.server?.rss_connected_kib) },
  { label: "server RSS end (MiB)", get: (r) => mib(r.server?.rss_end_kib) },
  { label: "server RSS/connection (B)", get: (r) => r.server?.rss_per_connection_bytes },
  // Proportional set size: shared pages (nginx's shared memory, common to its workers) counted once.
  { label: "server PSS/connection (B)", get: (r) => r.server?.pss_per_connection_bytes },
  { label: "server CPU (s)", get: (r) => r.server?.cpu_seconds },
  { label: "bench CPU (s)", get: (r) => r.bench?.cpu_seconds },
  { label: "server CPU per delivery (µs)", get: (r) => perDelivery(r.server?.cpu_seconds, r), flowing: true },
  { label: "bench CPU per delivery (µs)", get: (r) => perDelivery(r.bench?.cpu_seconds, r), flowing: true },
  { label: "duration (s)", get: (r) => r.duration_s },
];
function mib(value) {
  return typeof value === "number" ? value / kib : undefined;
}
// CPU seconds per delivery received, in µs; none when nothing was received.
function perDelivery(cpuSeconds, result) {
  const received = result.deliveries?.received;
  return typeof cpuSeconds === "number" && received > 0 ? (cpuSeconds * 1e6) / received : undefined;
}
function figureNamed(label) {
  const figure = figures.find((f) => f.label === label);
  if (!figure) throw new Error(`no figure '${label}'`);
  return figure;
}

function format(value) {
  if (value === undefined || value === null) return "—";
  if (typeof value !== "number") return String(value);
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return value.toLocaleString("en-US");
  const magnitude = Math.abs(value);
  const digits = magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : magnitude >= 1 ? 2 : 3;
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function ratio(ours, theirs) {
  if (typeof ours !== "number" || typeof theirs !== "number" || theirs === 0) return "—";
  return (ours / theirs).toFixed(2);
}

// --- Goals ------------------------------------------------------------------------------------

// Issue 12's goals for livechat (BENCHMARKS.md), judged under each table from that scenario's
// runs alone. A goal says what it asks (given the plan) and judges livechat's result:
// `judge(ours, runsOf, plan)` returns { met, value } (value: what was measured, as text) or
// { unjudged: why } (the peer it is measured against did not run, or a figure is missing).

// livechat's figure at most `limit`: a fixed goal, also the figure's target in the table.
function atMost(label, limit, unit, says = `${label.replace(/ \(.*\)$/, "")} ≤ ${format(limit)}${unit}`) {
  const figure = figureNamed(label);
  return {
    figure,
    limit,
    says: () => says,
    judge: (ours) => measured(figure.get(ours), (value) => value <= limit, unit),
  };
}

// livechat's figure at most (`≤`) or at least (`≥`) `factor` times `peer`'s in the same run.
function againstPeer(label, relation, factor, peer, unit, name = label.replace(/ \(.*\)$/, "")) {
  const figure = figureNamed(label);
  return {
    says: () => `${name} ${relation} ${factor} × ${peer}'s`,
    judge: (ours, runsOf) => {
      if (!runsOf.has(peer)) return { unjudged: `no ${peer} run` };
      const theirs = figure.get(runsOf.get(peer).result);
      if (typeof theirs !== "number") return { unjudged: `no figure from ${peer}` };
      const bound = factor * theirs;
      const verdict = measured(figure.get(ours), (value) => (relation === "≤" ? value <= bound : value >= bound), unit);
      if (verdict.value) verdict.value += ` = ${ratio(figure.get(ours), theirs)} × ${peer}'s ${format(theirs)}${unit}`;
      return verdict;
    },
  };
}

function measured(value, holds, unit) {
  if (typeof value !== "number") return { unjudged: "no figure" };
  return { met: holds(value), value: `${format(value)}${unit}` };
}

const onSchedule = {
  says: (plan) =>
    `publisher on schedule: achieved ≥ 97.5 % of offered (${format(0.975 * plan.rate)} of ${format(plan.rate)} msg/s)`,
  judge: (ours, runsOf, plan) =>
    measured(figureNamed("publish achieved (msg/s)").get(ours), (value) => value >= 0.975 * plan.rate, " msg/s"),
};

const everyDelivery = {
  says: (plan) =>
    `0 missing, 0 duplicate, every offered delivery made (${format(plan.connections)} × ${format(plan.messages)})`,
  judge: (ours, runsOf, plan) => {
    const { missing, duplicate, received } = ours.deliveries ?? {};
    if (![missing, duplicate, received].every((n) => typeof n === "number")) return { unjudged: "no figure" };
    return {
      met: missing === 0 && duplicate === 0 && received === plan.connections * plan.messages,
      value: `${format(missing)} missing, ${format(duplicate)} duplicate, ${format(received)} received`,
    };
  },
};

// The larger hot session keeps "the same ack, loss and CPU goals" (issue 12); its delivery
// tail and rate against the peers are shown under the table, not judged.
const hotSessionLargeGoals = [
  atMost("publish ack p99 (ms)", 50, " ms"),
  onSchedule,
  everyDelivery,
  againstPeer("server CPU per delivery (µs)", "≤", 1.5, "minimal", " µs"),
];
const deliveryTail = againstPeer("latency p99 (ms)", "≤", 1.25, "minimal", " ms", "delivery p99");
const deliveryRate = againstPeer("deliveries/s", "≥", 10, "nchan", "/s");
const shownOnly = (goal) => ({ ...goal, shownOnly: true });
const idleGoals = [atMost("server RSS/connection (B)", 2048, " B", "≤ 2 KiB RSS per connection")];
const goals = {
  "hot-session": [...hotSessionLargeGoals, deliveryTail, deliveryRate],
  "hot-session-large": [...hotSessionLargeGoals, shownOnly(deliveryTail), shownOnly(deliveryRate)],
  "chat-room": [
    atMost("latency p99 (ms)", 34, " ms", "delivery p99 ≤ FLUSH_INTERVAL_MS + 10 = 34 ms"),
    atMost("deliveries missing", 0, " missing", "0 missing"),
  ],
  "idle-ws": idleGoals,
  "idle-sse": idleGoals,
};

// "goal: … — met (value)", "NOT met (value)" or "not judged (why)", one line per goal.
function printGoals(scenario, runsOf, plan) {
  const list = goals[scenario] ?? [];
  if (list.length > 0 && !runsOf.has("livechat")) {
    console.log("   goals: not judged (no livechat run)");
    return;
  }
  for (const goal of list) {
    const verdict = goal.judge(runsOf.get("livechat").result, runsOf, plan);
    if (goal.shownOnly) {
      console.log(`   shown, not a goal here: ${goal.says(plan)} — ${verdict.value ?? verdict.unjudged}`);
      continue;
    }
    const outcome = verdict.unjudged ? `not judged (${verdict.unjudged})` : `${verdict.met ? "met" : "NOT met"} (${verdict.value})`;
    console.log(`   goal: ${goal.says(plan)} — ${outcome}`);
  }
}

// livechat's /metrics at the end of a run (compare.sh keeps it in logs/): where its requests'
// time went, from the server's own histograms. A histogram gives a percentile only as the upper
// bound of the bucket it falls in: "≤ 5 ms".
function histogramPercentile(text, name, fraction) {
  const buckets = [...text.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\d+)$`, "gm"))]
    .map(([, le, count]) => ({ le: le === "+Inf" ? Infinity : Number(le), count: Number(count) }));
  const total = buckets.at(-1)?.count;
  if (!total) return undefined;
  const bound = buckets.find((bucket) => bucket.count >= fraction * total).le;
  return Number.isFinite(bound) ? `≤ ${format(bound * 1000)} ms` : `> ${format(buckets.at(-2).le * 1000)} ms`;
}

function printServerTimes(scenario) {
  const file = join(dir, "logs", `${scenario}--livechat.metrics.txt`);
  if (!existsSync(file)) return;
  const text = readFileSync(file, "utf8");
  const parts = [
    ["request read to answered", "livechat_http_request_duration_seconds"],
    ["wait for a worker", "livechat_worker_wait_seconds"],
    ["group commit", "livechat_commit_duration_seconds"],
  ].map(([what, name]) => {
    const p50 = histogramPercentile(text, name, 0.5);
    const p99 = histogramPercentile(text, name, 0.99);
    return p50 && `${what} p50 ${p50}, p99 ${p99}`;
  }).filter(Boolean);
  if (parts.length > 0) console.log(`   livechat's own figures (/metrics, whole run): ${parts.join("; ")}`);
}

// --- Tables -----------------------------------------------------------------------------------

// What a scenario's runs were asked to do (the plan, not what they reached).
function describe(scenario, plan) {
  const connections = plan.connections;
  const load = plan.messages > 0
    ? `, ${format(plan.rate)} msg/s for ${format(plan.messages / plan.rate)} s (${format(plan.messages)} messages)`
    : "";
  switch (scenario) {
    case "hot-session":
    case "hot-session-large":
      return `one live session, ${format(connections)} SSE viewers${load}`;
    case "chat-room":
      return `one chat room, ${format(connections)} subscribers${load}`;
    case "idle-ws":
      return `${format(connections)} idle WebSocket connections; the figure is server RSS per connection`;
    case "idle-sse":
      return `${format(connections)} idle SSE streams; the figure is server RSS per connection`;
    default:
      return `${format(connections)} connections${load}`;
  }
}

function printTable(scenario) {
  const runsOf = byScenario.get(scenario);
  const servers = serversOf(scenario);
  // The runs of a scenario share their plan; livechat's is the reference where it ran.
  const plan = (runsOf.get("livechat") ?? runsOf.get(servers[0])).plan;
  const flowing = plan.messages > 0;
  const peers = runsOf.has("livechat") ? servers.filter((server) => server !== "livechat") : [];
  const fixedGoals = (goals[scenario] ?? []).filter((goal) => goal.limit !== undefined);

  console.log(`\n== ${scenario}: ${describe(scenario, plan)}`);
  for (const server of servers) {
    const { note, result } = runsOf.get(server);
    const how = [result.protocol, result.publish && `publish ${result.publish}`].filter(Boolean).join(", ");
    console.log(`   ${server}: ${how}${note ? `; ${note}` : ""}`);
  }

  const header = ["figure", "target", ...servers, ...peers.map((peer) => `livechat/${peer}`)];
  const rows = [];
  for (const figure of figures) {
    if (figure.flowing && !flowing) continue;
    const values = servers.map((server) => figure.get(runsOf.get(server).result));
    if (values.every((value) => value === undefined || value === null)) continue;
    const target = figure.target ? figure.target(plan) : fixedGoals.find((goal) => goal.figure === figure)?.limit;
    const ours = runsOf.has("livechat") ? figure.get(runsOf.get("livechat").result) : undefined;
    rows.push([
      figure.label,
      format(target),
      ...values.map(format),
      ...peers.map((peer) => ratio(ours, figure.get(runsOf.get(peer).result))),
    ]);
  }
  const limits = servers
    .map((server) => [server, runsOf.get(server).result.connections?.limit])
    .filter(([, limit]) => limit);

  const widths = header.map((_, column) => Math.max(...[header, ...rows].map((row) => row[column].length)));
  const line = (row) =>
    row.map((cell, column) => (column === 0 ? cell.padEnd(widths[0]) : cell.padStart(widths[column]))).join("  ");
  console.log(line(header));
  console.log(widths.map((width) => "-".repeat(width)).join("  "));
  for (const row of rows) console.log(line(row));
  printGoals(scenario, runsOf, plan);
  if (flowing) printServerTimes(scenario);
  for (const [server, limit] of limits) console.log(`   ${server} hit a limit: ${limit}`);
  for (const server of servers) {
    const { result } = runsOf.get(server);
    const connect = result.connections?.first_failure;
    const publish = result.messages?.first_failure;
    if (connect) console.log(`   ${server}, first connection failure: ${connect}`);
    if (publish) console.log(`   ${server}, first publish failure: ${publish}`);
    if (result.messages?.behind_schedule) {
      console.log(`   ${server}: the publisher fell BEHIND SCHEDULE (achieved ${format(result.messages.achieved_per_s)} ` +
                  `of ${format(result.messages.offered_per_s)} msg/s, worst lag ${format(result.messages.lag_max_ms)} ms); ` +
                  `latencies count from due times, so the wait is in them`);
    }
  }
}

if (scenarios.length === 0) {
  console.log("No bench printed a result: nothing to report.");
  process.exit(0);
}
console.log("Ratios are livechat / peer. Targets: all connect, nothing lost, every delivery of the offered rate,");
console.log("and issue 12's fixed limits; under each table, its goals for livechat judged on this run (bench/compare-report.mjs).");
console.log("Latencies (deliveries and publish acknowledgements) count from each message's due time in an open schedule.");
// compare.sh --quick writes "mode: quick" there: its small numbers are not what the goals are for.
const environment = join(dir, "environment.txt");
if (existsSync(environment) && /^mode: quick\b/m.test(readFileSync(environment, "utf8"))) {
  console.log("A --quick run: the goals are set for the full sizes; judged here, they only show the judging at work.");
}
for (const scenario of scenarios) printTable(scenario);

// --- Charts -----------------------------------------------------------------------------------

// A gnuplot data block: a header row of column titles, then one row per x position. Titles are
// quoted: gnuplot splits on blanks, and "socketio (WebSocket)" is one title.
function dataBlock(rowTitle, servers, rows) {
  const lines = [[rowTitle, ...servers].map((title) => JSON.stringify(title)).join("\t")];
  for (const [title, values] of rows) {
    lines.push([JSON.stringify(title), ...values.map((v) => (typeof v === "number" ? v : "NaN"))].join("\t"));
  }
  return lines.join("\n") + "\n";
}

// A chart panel's title: the scenario and its size.
function title(scenario, plan) {
  const who = scenario.startsWith("hot-session") ? "viewers" : scenario.startsWith("idle") ? "idle connections" : "subscribers";
  const rate = plan.messages > 0 ? `, ${format(plan.rate)} msg/s` : "";
  return `${scenario}: ${format(plan.connections)} ${who}${rate}`;
}

// Clustered bars, one per server the columns hold (in that order); each server keeps its colour
// in every panel and chart, whichever servers a scenario ran.
function histogram(dataFile, servers) {
  const bars = servers.map((server, i) =>
    `'${i === 0 ? dataFile : ""}' using ${i + 2}${i === 0 ? ":xtic(1)" : ""} title columnhead(${i + 2}) linetype ${rank(serverOrder, server) + 1}`);
  return `plot ${bars.join(", ")}`;
}

const preamble = `set terminal pngcairo size 1200,700 noenhanced font ",11"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set grid ytics
set key top left
`;

const charts = [];
const allServers = serverOrder.filter((server) => runs.some((run) => run.server === server));
const label = (scenario, server) => {
  const note = byScenario.get(scenario)?.get(server)?.note;
  return note && server === "socketio" && scenario === "hot-session" ? `${server} (WebSocket)` : server;
};

// latency.png: p50/p90/p99/p99.9 per server, one panel per scenario with messages.
const latencyScenarios = ["hot-session", "hot-session-large", "chat-room"].filter((s) => byScenario.has(s));
if (latencyScenarios.length > 0) {
  const percentiles = [["p50", "p50"], ["p90", "p90"], ["p99", "p99"], ["p99.9", "p999"]];
  let script = `${preamble}set output '${join(dir, "latency.png")}'
set multiplot layout 1,${latencyScenarios.length} title "Delivery latency, due time to receipt (ms, log scale)"
set logscale y
`;
  for (const scenario of latencyScenarios) {
    const servers = serversOf(scenario);
    const file = join(dir, `latency-${scenario}.dat`);
    writeFileSync(
      file,
      dataBlock(
        "percentile",
        servers.map((server) => label(scenario, server)),
        percentiles.map(([title, key]) => [
          title,
          servers.map((server) => byScenario.get(scenario).get(server).result.latency_ms?.[key]),
        ]),
      ),
    );
    script += `set title "${title(scenario, byScenario.get(scenario).get(servers[0]).plan)}"\n`;
    script += `${histogram(file, servers)}\n`;
  }
  script += "unset multiplot\n";
  charts.push(["latency.png", script]);
}

// deliveries.png: deliveries per second per server, one panel per scenario (their scales differ
// tenfold: 10,000 and 19,000 viewers against 1,000 subscribers).
const deliveryScenarios = ["hot-session", "hot-session-large", "chat-room"].filter((s) => byScenario.has(s));
if (deliveryScenarios.length > 0) {
  let script = `${preamble}set output '${join(dir, "deliveries.png")}'
set multiplot layout 1,${deliveryScenarios.length} title "Deliveries per second (every subscriber receives every message)"
set yrange [0:*]
set offsets 0, 0, graph 0.05, 0
set format y "%.1s%c"
set xtics format ""
`;
  for (const scenario of deliveryScenarios) {
    const servers = serversOf(scenario);
    const file = join(dir, `deliveries-${scenario}.dat`);
    const plan = byScenario.get(scenario).get(servers[0]).plan;
    const offered = plan.connections * plan.rate;
    writeFileSync(
      file,
      dataBlock("scenario", servers.map((server) => label(scenario, server)), [
        [scenario, servers.map((server) => byScenario.get(scenario).get(server).result.deliveries?.per_second)],
      ]),
    );
    script += `set title "${title(scenario, plan)}\\noffered ${format(offered)}/s"\n`;
    script += `${histogram(file, servers)}\n`;
  }
  script += "unset multiplot\n";
  charts.push(["deliveries.png", script]);
}

// memory.png: server RSS per idle connection.
const memoryScenarios = ["idle-ws", "idle-sse"].filter((s) => byScenario.has(s));
if (memoryScenarios.length > 0) {
  const servers = allServers.filter((server) => memoryScenarios.some((s) => byScenario.get(s).has(server)));
  const file = join(dir, "memory.dat");
  writeFileSync(
    file,
    dataBlock(
      "scenario",
      servers,
      memoryScenarios.map((scenario) => [
        scenario,
        servers.map((server) => byScenario.get(scenario).get(server)?.result.server?.rss_per_connection_bytes),
      ]),
    ),
  );
  const script = `${preamble}set output '${join(dir, "memory.png")}'
set title "Server memory per idle connection (RSS growth / connections, bytes)"
set yrange [0:*]
set offsets 0, 0, graph 0.05, 0
${histogram(file, servers)}
`;
  charts.push(["memory.png", script]);
}

for (const [png, script] of charts) {
  const scriptFile = join(dir, png.replace(/\.png$/, ".gp"));
  writeFileSync(scriptFile, script);
  const gnuplot = spawnSync("gnuplot", [scriptFile], { encoding: "utf8" });
  if (gnuplot.error || gnuplot.status !== 0 || !existsSync(join(dir, png))) {
    console.error(`gnuplot did not draw ${png}: ${gnuplot.error?.message ?? gnuplot.stderr}`);
    process.exitCode = 1;
  } else {
    console.log(`chart: ${join(dir, png)}`);
  }
}
