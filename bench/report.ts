// What a run's figures become: the series of each scenario (min/median/max over rounds), the targets the project holds
// itself to, and the printed table. The JSON's shape is bench/results-schema.ts.
import type { E2eRun } from "./e2e.ts"
import { num, sp } from "./format.ts"
import type { GatewayRun } from "./gateway.ts"
import type { IngestRun } from "./ingest.ts"
import { e2eAckLines, scaleCpuLines } from "./latency-report.ts"
import type { ListFigures } from "./registry.ts"
import type { BenchResults, E2eSeries, GatewaySeries, IngestSeries, ListSeries, Target } from "./results-schema.ts"
import { round, roundSpread, type Spread, spread } from "./stats.ts"

export function ingestSeries(runs: IngestRun[]): IngestSeries {
  const s = (f: (r: IngestRun) => number, digits = 2) => roundSpread(spread(runs.map(f)), digits)
  return {
    runs,
    updatesPerSecond: s((r) => r.updatesPerSecond, 1),
    p50Ms: s((r) => r.p50Ms),
    p99Ms: s((r) => r.p99Ms),
    serverCores: s((r) => r.serverCores),
    cpuMsPerUpdate: s((r) => r.cpuMsPerUpdate, 3),
    peakMemoryMb: s((r) => r.peakMemoryMb, 1),
  }
}

/** `overWebhook`: per round, the Gateway's events/s over the webhook's updates/s of the same round. */
export function gatewaySeries(runs: GatewayRun[], webhookConnections: number, overWebhook: Spread): GatewaySeries {
  const s = (f: (r: GatewayRun) => number, digits = 1) => roundSpread(spread(runs.map(f)), digits)
  const worst = (f: (r: GatewayRun) => number) => Math.max(0, ...runs.map(f))
  return {
    runs,
    eventsPerSecond: s((r) => r.eventsPerSecond),
    dispatchPerSecond: s((r) => r.dispatchPerSecond),
    timeToInboxMs: s((r) => r.timeToInboxMs),
    serverCores: s((r) => r.serverCores, 2),
    cpuMsPerEvent: s((r) => r.cpuMsPerEvent, 3),
    peakMemoryMb: s((r) => r.peakMemoryMb),
    webhookConnections,
    overWebhook: roundSpread(overWebhook, 3),
    lost: worst((r) => r.lost),
    duplicated: worst((r) => r.duplicated),
    reconnects: worst((r) => r.reconnects),
  }
}

export function e2eSeries(runs: E2eRun[]): E2eSeries {
  const s = (f: (r: E2eRun) => number, digits = 1) => roundSpread(spread(runs.map(f)), digits)
  const worst = (f: (r: E2eRun) => number) => Math.max(0, ...runs.map(f))
  return {
    runs,
    timeToLastReplyMs: s((r) => r.timeToLastReplyMs, 0),
    repliesPerSecond: s((r) => r.repliesPerSecond),
    rejected429: s((r) => r.rejected429, 0),
    ackP50Ms: s((r) => r.ackP50Ms),
    ackP99Ms: s((r) => r.ackP99Ms),
    peakMemoryMb: s((r) => r.peakMemoryMb),
    serverCores: roundSpread(spread(runs.map((r) => r.serverCpuS / (r.timeToLastReplyMs / 1000))), 2),
    lost: worst((r) => r.lost),
    duplicated: worst((r) => r.duplicated),
    outOfOrderChats: worst((r) => r.outOfOrderChats),
  }
}

export function listSeries(runs: ListFigures[]): ListSeries {
  return {
    runs,
    firstPageP95Ms: roundSpread(spread(runs.map((r) => r.firstPage.p95Ms))),
    deepCursorP95Ms: roundSpread(spread(runs.map((r) => r.deepCursor.p95Ms))),
  }
}

/** A list's p95 counts as flat when the 100k registry's is within this factor of the 10k registry's. */
export const FLAT_FACTOR = 1.25

/**
 * The targets of sections 1 to 4, judged on medians of per-round ratios: those of the sections that ran (all of them
 * in a full run, what `--only` named otherwise).
 */
export function judge(r: Partial<Pick<BenchResults, "ingest" | "gateway" | "e2e" | "pacing" | "scale">>): Target[] {
  const t: Target[] = []
  const add = (id: string, text: string, value: number, threshold: string, pass: boolean) =>
    t.push({ id, text, value: round(value, 3), threshold, pass })
  for (const i of r.ingest ?? []) {
    const vb = i.routerOverBare.median
    const vs = i.slackOverBare.median
    const vd = i.discordOverBare.median
    const vg = i.routerOverGrammy.median
    add(`ingest-vs-bare-${i.connections}`, `ingest at ${i.connections} conns / bare route`, vb, ">= 0.5", vb >= 0.5)
    add(
      `ingest-slack-vs-bare-${i.connections}`,
      `Slack ingest at ${i.connections} conns / bare route`,
      vs,
      ">= 0.5",
      vs >= 0.5,
    )
    add(
      `ingest-discord-vs-bare-${i.connections}`,
      `Discord interactions at ${i.connections} conns / bare route`,
      vd,
      ">= 0.5",
      vd >= 0.5,
    )
    add(`ingest-vs-grammy-${i.connections}`, `ingest at ${i.connections} conns / grammY peer`, vg, "> 1", vg > 1)
  }
  const g = r.gateway
  const gf = g ? g.lost + g.duplicated : 0
  if (g) add("gateway-exact", "Discord Gateway: events lost + duplicated", gf, "= 0", gf === 0)
  const e = r.e2e
  const vr = e ? e.routerOverGrammy.median : 0
  if (e) add("e2e-vs-grammy", "end-to-end replies/s / grammY peer (+ auto-retry)", vr, "> 1", vr > 1)
  const faults = e ? e.router.lost + e.router.duplicated + e.router.outOfOrderChats : 0
  if (e) add("e2e-correct", "end-to-end: replies lost + duplicated + chats out of order", faults, "= 0", faults === 0)
  for (const p of r.pacing ? [r.pacing.telegram, r.pacing.whatsapp] : []) {
    add(`pacing-${p.platform}`, `${p.platform} pacing: achieved / allowed rate`, p.ratio, ">= 0.95", p.ratio >= 0.95)
    const bad = p.lost + p.duplicated
    add(`pacing-${p.platform}-exact`, `${p.platform} pacing: lost + duplicated`, bad, "= 0", bad === 0)
  }
  const s = r.scale
  if (!s) return t
  add("scale-bots", `ingest over ${s.bots} bots / over 1 bot`, s.ratio.median, ">= 1.5", s.ratio.median >= 1.5)
  const l = s.list
  add(
    "list-flat-first",
    "list p95, first page: 100k / 10k registry",
    l.firstPageP95Ratio.median,
    `<= ${FLAT_FACTOR}`,
    l.firstPageP95Ratio.median <= FLAT_FACTOR,
  )
  add(
    "list-flat-deep",
    "list p95, deep cursor: 100k / 10k registry",
    l.deepCursorP95Ratio.median,
    `<= ${FLAT_FACTOR}`,
    l.deepCursorP95Ratio.median <= FLAT_FACTOR,
  )
  return t
}

// ---- the table ----

const pad = (text: string, width: number) => text.padEnd(width)
const mark = (pass: boolean) => (pass ? "ok  " : "MISS")

function row(cells: [string, number][]): string {
  return cells
    .map(([text, width]) => pad(text, width))
    .join(" ")
    .trimEnd()
}

export function renderTable(r: BenchResults): string {
  const out: string[] = []
  const env = r.environment
  out.push(
    `Switchboard bench ${r.smoke ? "(SMOKE: tiny sizes, figures mean nothing) " : ""}· ${r.date} · ${env.cpus}× ${env.cpuModel} · Node ${env.node} · workerd ${env.workerd} · grammY ${env.grammy}`,
  )
  out.push(
    `Fake platform API latency ${r.config.apiLatencyMs} ms · every figure: median (min–max) over ${r.ingest[0]?.bare.runs.length ?? 0} rounds; ratios are per round, same minute`,
  )
  out.push("")
  out.push(
    "1. Ingest: Telegram webhook updates (Slack: signed Events API messages; Discord: signed slash-command interactions) to 1 bot, closed loop, time-to-200 (router: after the durable write)",
  )
  const head: [string, number][] = [
    ["conns", 5],
    ["target", 30],
    ["updates/s", 22],
    ["p50 ms", 20],
    ["p99 ms", 20],
    ["cores", 5],
    ["peak MB", 7],
  ]
  out.push(row(head))
  for (const i of r.ingest) {
    const line = (name: string, s: IngestSeries, first: boolean) =>
      out.push(
        row([
          [first ? String(i.connections) : "", 5],
          [name, 30],
          [sp(s.updatesPerSecond), 22],
          [sp(s.p50Ms, 1), 20],
          [sp(s.p99Ms, 1), 20],
          [num(s.serverCores.median, 2), 5],
          [num(s.peakMemoryMb.median), 7],
        ]),
      )
    line("bare Hono route (same build)", i.bare, true)
    if (i.floor) line("floor: route + DO RPC + insert", i.floor, false)
    line("Switchboard webhook", i.router, false)
    if (i.handlersOff) line("Switchboard webhook, handlers off", i.handlersOff, false)
    line("Switchboard webhook, Slack", i.slack, false)
    line("Switchboard webhook, Discord", i.discord, false)
    line("grammY on Node (reply inline)", i.grammy, false)
    out.push(
      `      router/bare ${sp(i.routerOverBare, 2)}   slack/bare ${sp(i.slackOverBare, 2)}   discord/bare ${sp(i.discordOverBare, 2)}   router/grammY ${sp(i.routerOverGrammy, 2)}`,
    )
    if (i.floorOverBare && i.routerOverFloor)
      out.push(
        `      floor/bare ${sp(i.floorOverBare, 2)}   router/floor ${sp(i.routerOverFloor, 2)}${i.handlersOffOverFloor ? `   handlers off/floor ${sp(i.handlersOffOverFloor, 2)}` : ""}`,
      )
    const t = i.inTurns
    if (t)
      out.push(
        `      in alternating turns, both up at once: handlers off ${sp(t.handlersOff)}/s, floor ${sp(t.floor)}/s; handlers off/floor ${sp(t.ratio, 2)}, CPU per update floor/ours ${sp(t.cpuRatio, 2)}${t.failed > 0 ? `, ${t.failed} failed` : ""}`,
      )
  }
  const g = r.gateway
  out.push("")
  out.push(
    `   Discord Gateway: ${num(g.runs[0]?.events ?? 0)} MESSAGE_CREATE pushed through the fake Gateway to 1 bot (${g.runs[0]?.concurrency ?? 0} dispatch calls in flight), until its stats count them all`,
  )
  out.push(
    row([
      ["", 5],
      ["events/s (no baseline)", 30],
      ["dispatched/s (fake)", 22],
      ["to inbox ms", 20],
      ["lost/dup/reconnects", 20],
      ["cores", 5],
      ["peak MB", 7],
    ]),
  )
  out.push(
    row([
      ["", 5],
      [sp(g.eventsPerSecond), 30],
      [sp(g.dispatchPerSecond), 22],
      [sp(g.timeToInboxMs), 20],
      [`${g.lost}/${g.duplicated}/${g.reconnects}`, 20],
      [num(g.serverCores.median, 2), 5],
      [num(g.peakMemoryMb.median), 7],
    ]),
  )
  out.push(
    `      gateway/webhook ${sp(g.overWebhook, 2)} (events/s over the Telegram webhook's updates/s at ${g.webhookConnections} conns, same round)   CPU ms/event ${num(g.cpuMsPerEvent.median, 3)}`,
  )
  const e2e = r.e2e
  const c = r.config
  out.push("")
  out.push(
    `2. End to end: ${num(e2e.router.runs[0]?.updates ?? 0)} updates (${String(c.e2eShape)}), delivered like Telegram; fake enforces Telegram's limits`,
  )
  out.push(`   ${String(c.overlap)}`)
  out.push(
    row([
      ["target", 30],
      ["last reply s", 20],
      ["replies/s", 22],
      ["lost/dup/unordered", 18],
      ["429s", 22],
      ["cores", 5],
      ["peak MB", 7],
    ]),
  )
  const e2eLine = (name: string, s: E2eSeries) =>
    out.push(
      row([
        [name, 30],
        [
          sp(
            {
              min: s.timeToLastReplyMs.min / 1000,
              median: s.timeToLastReplyMs.median / 1000,
              max: s.timeToLastReplyMs.max / 1000,
            },
            1,
          ),
          20,
        ],
        [sp(s.repliesPerSecond), 22],
        [`${s.lost}/${s.duplicated}/${s.outOfOrderChats}`, 18],
        [sp(s.rejected429), 22],
        [num(s.serverCores.median, 2), 5],
        [num(s.peakMemoryMb.median), 7],
      ]),
    )
  e2eLine("Switchboard", e2e.router)
  e2eLine("grammY + auto-retry", e2e.grammy)
  e2eLine("grammY, no limits enforced*", e2e.grammyUnlimited)
  out.push(
    `      router/grammY replies/s ${sp(e2e.routerOverGrammy, 2)}   * reference only: sends faster than Telegram allows`,
  )
  out.push(...e2eAckLines(e2e))
  out.push("")
  out.push(
    `3. Pacing: ${num(r.pacing.telegram.messages)} messages to as many chats via the send API; the fake answers 429 above the limit`,
  )
  out.push(
    row([
      ["platform", 10],
      ["allowed/s", 10],
      ["achieved/s", 11],
      ["ratio (thirds)", 24],
      ["gap ms / limit", 15],
      ["429s", 6],
      ["lost", 5],
      ["dup", 5],
      ["enqueue s", 10],
      ["total s", 8],
    ]),
  )
  for (const p of [r.pacing.telegram, r.pacing.whatsapp]) {
    out.push(
      row([
        [p.platform, 10],
        [num(p.allowedPerSecond), 10],
        [num(p.achievedPerSecond, 1), 11],
        [`${num(p.ratio, 3)} (${num(p.ratioByThird.min, 2)}–${num(p.ratioByThird.max, 2)})`, 24],
        [`${num(p.medianGapMs, 1)} / ${num(1000 / p.allowedPerSecond, 1)}`, 15],
        [num(p.rejected429), 6],
        [num(p.lost), 5],
        [num(p.duplicated), 5],
        [num(p.enqueueMs / 1000, 1), 10],
        [num(p.totalMs / 1000, 1), 8],
      ]),
    )
  }
  out.push(
    `      peak MB ${num(r.pacing.peakMemoryMb)}, ${num(r.pacing.serverCores, 2)} cores (both sends in one worker, nothing else running)`,
  )
  const s = r.scale
  out.push("")
  out.push(`4. Scale: ingest at ${s.connections} conns spread over 1 bot vs ${s.bots} bots (one Durable Object each)`)
  out.push(
    row([
      ["bots", 5],
      ["updates/s", 22],
      ["p50 ms", 20],
      ["p99 ms", 20],
      ["cores", 5],
      ["CPU ms/update", 13],
      ["peak MB", 7],
      ["replies sent", 12],
    ]),
  )
  for (const [bots, series] of [
    [1, s.oneBot],
    [s.bots, s.manyBots],
  ] as const) {
    out.push(
      row([
        [String(bots), 5],
        [sp(series.updatesPerSecond), 22],
        [sp(series.p50Ms, 1), 20],
        [sp(series.p99Ms, 1), 20],
        [num(series.serverCores.median, 2), 5],
        [num(series.cpuMsPerUpdate.median, 3), 13],
        [num(series.peakMemoryMb.median), 7],
        [num(spread(series.runs.map((x) => x.repliesSent)).median), 12],
      ]),
    )
  }
  out.push(`      ${s.bots} bots / 1 bot ${sp(s.ratio, 2)}`)
  const floorOne = r.ingest.find((i) => i.connections === s.connections)?.floor
  if (s.floorManyObjects && s.floorRatio && floorOne)
    out.push(
      `      floor worker over ${s.bots} objects: ${sp(s.floorManyObjects.updatesPerSecond)}/s, ${s.bots} / 1 object ${sp(s.floorRatio, 2)}; CPU ms/update ${num(s.floorManyObjects.cpuMsPerUpdate.median, 3)} vs ${num(floorOne.cpuMsPerUpdate.median, 3)} for 1 object`,
    )
  out.push(...scaleCpuLines(s))
  const l = s.list
  const small = l.small.runs[0]
  out.push(
    `   GET /api/bots?limit=${String(c.pageSize)}, one business with ${num(small?.businessBots ?? 0)} bots; deep cursor = after ${num(small?.deepCursor.position ?? 0)} bots`,
  )
  out.push(
    row([
      ["registry", 10],
      ["first p50 ms", 14],
      ["first p95 ms", 20],
      ["deep p50 ms", 14],
      ["deep p95 ms", 20],
      ["peak MB", 7],
    ]),
  )
  for (const series of [l.small, l.large]) {
    const f = series.runs[0]
    out.push(
      row([
        [num(f?.registryBots ?? 0), 10],
        [num(spread(series.runs.map((x) => x.firstPage.p50Ms)).median, 2), 14],
        [sp(series.firstPageP95Ms, 2), 20],
        [num(spread(series.runs.map((x) => x.deepCursor.p50Ms)).median, 2), 14],
        [sp(series.deepCursorP95Ms, 2), 20],
        [num(f?.peakMemoryMb ?? Number.NaN), 7],
      ]),
    )
  }
  out.push(`      p95 100k/10k: first page ${sp(l.firstPageP95Ratio, 2)}, deep cursor ${sp(l.deepCursorP95Ratio, 2)}`)
  out.push("")
  out.push(
    "5. Peak memory: the 'peak MB' columns (VmHWM of the workerd process of each run; of the grammY peer's Node process)",
  )
  out.push("")
  out.push("Targets")
  for (const t of r.targets)
    out.push(`  ${mark(t.pass)} ${pad(t.text, 58)} ${pad(num(t.value, 3), 8)} target ${t.threshold}`)
  const missed = r.targets.filter((t) => !t.pass).length
  out.push(`  ${r.targets.length - missed} met, ${missed} missed · ${r.durationS} s`)
  return out.join("\n")
}
