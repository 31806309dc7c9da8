// The report of bench/cluster.sh: one Markdown table per scenario, from a results folder.
//
//   node bench/cluster-report.mjs DIR
//
// DIR holds runs.tsv (scenario, system, nodes, connections, messages, rate, file), the
// `livechat bench --json` results it names with their Redis INFO before and after
// (<name>.redis.json), and the kill-node result of bench/cluster-failover.mjs. Ratios are
// livechat / Socket.IO: for rates above 1 is better for livechat, for times and costs below 1.
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";

const dir = process.argv[2];
if (!dir) {
  console.error("usage: node bench/cluster-report.mjs RESULTS_DIR");
  process.exit(2);
}

const runs = readFileSync(join(dir, "runs.tsv"), "utf8")
  .split("\n")
  .slice(1)
  .filter((line) => line.trim() !== "")
  .map((line) => {
    const [scenario, system, nodes, connections, messages, rate, file] = line.split("\t");
    const redisFile = join(dir, file.replace(/\.json$/, ".redis.json"));
    return {
      scenario, system,
      plan: { nodes: Number(nodes), connections: Number(connections), messages: Number(messages), rate: Number(rate) },
      result: JSON.parse(readFileSync(join(dir, file), "utf8")),
      redis: existsSync(redisFile) ? JSON.parse(readFileSync(redisFile, "utf8")) : null,
    };
  });

function format(value) {
  if (value === undefined || value === null || Number.isNaN(value)) return "—";
  if (typeof value !== "number") return String(value);
  if (Number.isInteger(value)) return value.toLocaleString("en-US");
  const magnitude = Math.abs(value);
  const digits = magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : magnitude >= 1 ? 2 : 3;
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

// Redis's own cost over a run: CPU seconds, and bytes in and out per acknowledged message.
function redisCost(run) {
  if (!run.redis) return {};
  const { before, after } = run.redis;
  const delta = (key) => after[key] - before[key];
  const acked = run.result.messages?.acked || 0;
  const perMessage = (key) => (acked > 0 ? delta(key) / acked : undefined);
  return {
    cpu: delta("used_cpu_sys") + delta("used_cpu_user"),
    inPerMessage: perMessage("total_net_input_bytes"),
    outPerMessage: perMessage("total_net_output_bytes"),
    commandsPerMessage: perMessage("total_commands_processed"),
    aofBytesPerMessage: perMessage("aof_current_size"),
  };
}

const benchFigures = [
  ["nodes", (r, run) => run.plan.nodes],
  ["viewers connected / planned", (r, run) => `${format(r.connections?.made)} / ${format(run.plan.connections)}`],
  ["connections failed / dropped", (r) => `${format(r.connections?.failed)} / ${format(r.connections?.dropped)}`],
  ["messages acked / planned", (r, run) => `${format(r.messages?.acked)} / ${format(run.plan.messages)}`],
  ["publish offered (msg/s)", (r) => r.messages?.offered_per_s],
  ["publish achieved (msg/s)", (r) => r.messages?.achieved_per_s],
  ["deliveries/s", (r) => r.deliveries?.per_second],
  ["deliveries expected", (r, run) => (r.connections?.made ?? 0) * (r.messages?.acked ?? 0)],
  ["deliveries missing", (r) => r.deliveries?.missing],
  ["deliveries duplicate", (r) => r.deliveries?.duplicate],
  ["latency p50 (ms, from due)", (r) => r.latency_ms?.p50],
  ["latency p99 (ms, from due)", (r) => r.latency_ms?.p99],
  ["latency max (ms)", (r) => r.latency_ms?.max],
  ["server CPU, all nodes (s)", (r) => r.server?.cpu_seconds],
  ["server RSS at end, all nodes (MiB)", (r) => (r.server?.rss_end_kib ?? NaN) / 1024],
  ["bench CPU (s)", (r) => r.bench?.cpu_seconds],
  ["Redis CPU (s)", (r, run) => redisCost(run).cpu],
  ["Redis bytes in / message", (r, run) => redisCost(run).inPerMessage],
  ["Redis bytes out / message", (r, run) => redisCost(run).outPerMessage],
  ["Redis commands / message", (r, run) => redisCost(run).commandsPerMessage],
  ["AOF growth / message (B)", (r, run) => redisCost(run).aofBytesPerMessage],
  ["duration (s)", (r) => r.duration_s],
];
const ratioRows = new Set(["publish achieved (msg/s)", "deliveries/s", "latency p50 (ms, from due)",
  "latency p99 (ms, from due)", "server CPU, all nodes (s)", "Redis CPU (s)",
  "Redis bytes in / message", "Redis bytes out / message"]);

function benchTable(title, scenarioRuns) {
  const systems = scenarioRuns.map((run) => run.system);
  const withRatio = systems.includes("livechat") && systems.includes("socketio");
  const lines = [`### ${title}`, ""];
  lines.push(`| | ${systems.join(" | ")} |${withRatio ? " livechat / Socket.IO |" : ""}`);
  lines.push(`| --- |${systems.map(() => " ---:").join(" |")} |${withRatio ? " ---: |" : ""}`);
  for (const [label, get] of benchFigures) {
    const values = scenarioRuns.map((run) => get(run.result, run));
    let row = `| ${label} | ${values.map(format).join(" | ")} |`;
    if (withRatio) {
      const [ours, theirs] = ["livechat", "socketio"].map((s) => values[systems.indexOf(s)]);
      const ratio = ratioRows.has(label) && typeof ours === "number" && typeof theirs === "number" && theirs !== 0
        ? (ours / theirs).toFixed(2) : "";
      row += ` ${ratio} |`;
    }
    lines.push(row);
  }
  for (const run of scenarioRuns) {
    const r = run.result;
    if ((r.messages?.achieved_per_s ?? 0) < 0.95 * run.plan.rate) {
      lines.push("", `${run.system}: BEHIND SCHEDULE, ${format(r.messages?.achieved_per_s)} msg/s achieved of ${run.plan.rate} offered.`);
    }
  }
  lines.push("");
  return lines.join("\n");
}

function failoverTable(run) {
  const r = run.result;
  const ms = (s) => (s ? `${format(s.p50)} / ${format(s.p99)} / ${format(s.max)}` : "—");
  return [
    "### kill-node: kill -9 of one of 2 nodes, its EventSource clients resume on the other", "",
    "| | livechat |", "| --- | ---: |",
    `| clients (moved) | ${format(r.clients)} (${format(r.moved)}) |`,
    `| messages at ${format(r.rate)}/s: acked before the kill / in all | ${format(r.acked_at_kill)} / ${format(r.acked_total)} |`,
    `| kill → error seen, p50 / p99 / max (ms) | ${ms(r.lost_ms)} |`,
    `| kill → reconnected, p50 / p99 / max (ms) | ${ms(r.reconnected_ms)} |`,
    `| kill → on the survivor, an id above those acked at the kill, p50 / p99 / max (ms) | ${ms(r.delivering_ms)} |`,
    `| moved clients never delivering again | ${format(r.never_delivering)} |`,
    `| clients with every id once, in order | ${format(r.clients_complete)} of ${format(r.clients)} |`,
    `| ids missing / doubled / unexpected | ${format(r.ids_missing)} / ${format(r.ids_doubled)} / ${format(r.ids_unexpected)} |`,
    "",
  ].join("\n");
}

const titles = {
  "hot-session": (plan) => `hot-session: one live session, ${format(plan.connections)} viewers over ${plan.nodes} nodes, ${format(plan.messages)} messages at ${plan.rate}/s`,
  "cross-node": (plan) => `cross-node: one room, ${format(plan.connections)} STOMP subscribers over 2 nodes, ${format(plan.messages)} messages at ${plan.rate}/s posted to both`,
};
for (const scenario of ["hot-session", "cross-node", "kill-node"]) {
  const scenarioRuns = runs.filter((run) => run.scenario === scenario);
  if (scenarioRuns.length === 0) continue;
  if (scenario === "kill-node") console.log(failoverTable(scenarioRuns[0]));
  else console.log(benchTable(titles[scenario](scenarioRuns[0].plan), scenarioRuns));
}
