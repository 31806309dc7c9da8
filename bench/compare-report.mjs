// The report of bench/compare.sh: one table per scenario, and the charts, from a results folder.
//
//   node bench/compare-report.mjs DIR
//
// DIR holds runs.tsv (scenario, server, note, the planned connections, messages and rate, file:
// one line per bench that printed a result) and the `livechat bench --json` results it names. Prints the tables; writes latency.png,
// deliveries.png and memory.png into DIR with gnuplot (their data and script beside them, so a
// chart can be redrawn or restyled by hand). Servers are compared as livechat / peer for every
// figure: for times and memory below 1 is better for livechat, for rates above 1.
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

const dir = process.argv[2];
if (!dir) {
  console.error("usage: node bench/compare-report.mjs RESULTS_DIR");
  process.exit(2);
}

const serverOrder = ["livechat", "nchan", "socketio", "minimal"];
const scenarioOrder = ["hot-session", "chat-room", "idle-ws", "idle-sse"];

// What each scenario is meant to reach. The ones a run implies by itself (everyone connects,
// nothing is lost, every delivery of the offered rate arrives) are computed from its plan;
// The goals issue 5 sets for livechat (BENCHMARKS.md): p99 latency within 250 ms for the hot
// session and within FLUSH_INTERVAL_MS + 10 ms (34 ms) for the chat room, and at most 2 KiB of
// server RSS per idle connection. (Its third goal, hot-session deliveries/s at least 5x nchan's,
// is the livechat/nchan ratio of that row.)
const goals = {
  "hot-session": { latencyMs: { p99: 250 }, rssPerConnectionBytes: null },
  "chat-room": { latencyMs: { p99: 34 }, rssPerConnectionBytes: null },
  "idle-ws": { rssPerConnectionBytes: 2048 },
  "idle-sse": { rssPerConnectionBytes: 2048 },
};

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

// Each figure: a label, how to read it from a result, its target (a function of the plan and the
// scenario's goals), and whether it only means something when messages flowed.
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
  { label: "latency p50 (ms)", get: (r) => r.latency_ms?.p50, target: (plan, g) => g.latencyMs?.p50, flowing: true },
  { label: "latency p90 (ms)", get: (r) => r.latency_ms?.p90, target: (plan, g) => g.latencyMs?.p90, flowing: true },
  { label: "latency p99 (ms)", get: (r) => r.latency_ms?.p99, target: (plan, g) => g.latencyMs?.p99, flowing: true },
  { label: "latency p99.9 (ms)", get: (r) => r.latency_ms?.p999, target: (plan, g) => g.latencyMs?.p999, flowing: true },
  { label: "latency max (ms)", get: (r) => r.latency_ms?.max, flowing: true },
  { label: "server RSS before (MiB)", get: (r) => mib(r.server?.rss_before_kib) },
  { label: "server RSS connected (MiB)", get: (r) => mib(r.server?.rss_connected_kib) },
  { label: "server RSS end (MiB)", get: (r) => mib(r.server?.rss_end_kib) },
  {
    label: "server RSS/connection (B)",
    get: (r) => r.server?.rss_per_connection_bytes,
    target: (plan, g) => g.rssPerConnectionBytes,
  },
  // Proportional set size: shared pages (nginx's shared memory, common to its workers) counted once.
  { label: "server PSS/connection (B)", get: (r) => r.server?.pss_per_connection_bytes },
  { label: "server CPU (s)", get: (r) => r.server?.cpu_seconds },
  { label: "bench CPU (s)", get: (r) => r.bench?.cpu_seconds },
  { label: "duration (s)", get: (r) => r.duration_s },
];
function mib(value) {
  return typeof value === "number" ? value / kib : undefined;
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

// --- Tables -----------------------------------------------------------------------------------

// What a scenario's runs were asked to do (the plan, not what they reached).
function describe(scenario, plan) {
  const connections = plan.connections;
  const load = plan.messages > 0
    ? `, ${format(plan.rate)} msg/s for ${format(plan.messages / plan.rate)} s (${format(plan.messages)} messages)`
    : "";
  switch (scenario) {
    case "hot-session":
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
  const goal = goals[scenario] ?? {};

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
    const target = figure.target ? figure.target(plan, goal) : undefined;
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
console.log("Ratios are livechat / peer. Targets: all connect, nothing lost, every delivery of the offered rate;");
console.log("latency and memory targets are shown where the issue sets them (goals in bench/compare-report.mjs).");
console.log("Latencies (deliveries and publish acknowledgements) count from each message's due time in an open schedule.");
for (const scenario of scenarios) printTable(scenario);

// --- Charts -----------------------------------------------------------------------------------

// A gnuplot data block: a header row of column titles, then one row per x position.
function dataBlock(rowTitle, servers, rows) {
  const lines = [[rowTitle, ...servers].join("\t")];
  for (const [title, values] of rows) {
    lines.push([JSON.stringify(title), ...values.map((v) => (typeof v === "number" ? v : "NaN"))].join("\t"));
  }
  return lines.join("\n") + "\n";
}

// A chart panel's title: the scenario and its size.
function title(scenario, plan) {
  const who = scenario === "hot-session" ? "viewers" : scenario.startsWith("idle") ? "idle connections" : "subscribers";
  const rate = plan.messages > 0 ? `, ${format(plan.rate)} msg/s` : "";
  return `${scenario}: ${format(plan.connections)} ${who}${rate}`;
}

// Clustered bars, one colour per server; `titles` are the server names the columns hold.
function histogram(dataFile, titles) {
  return `plot for [i=2:${titles.length + 1}] '${dataFile}' using i:xtic(1) title columnhead(i)`;
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
const latencyScenarios = ["hot-session", "chat-room"].filter((s) => byScenario.has(s));
if (latencyScenarios.length > 0) {
  const percentiles = [["p50", "p50"], ["p90", "p90"], ["p99", "p99"], ["p99.9", "p999"]];
  let script = `${preamble}set output '${join(dir, "latency.png")}'
set multiplot layout 1,${latencyScenarios.length} title "Delivery latency, publish to receipt (ms, log scale)"
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
// tenfold: 10,000 viewers against 1,000 subscribers).
const deliveryScenarios = ["hot-session", "chat-room"].filter((s) => byScenario.has(s));
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
    script += `set title "${title(scenario, plan)}; offered ${format(offered)}/s"\n`;
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
