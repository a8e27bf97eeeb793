// `npm run bench`: Switchboard in workerd side by side with the runtime's limit (a bare route of the same build) and
// with grammY on Node, all against the fake platforms of test/fakes, in one run. Prints a table, writes JSON.
//   --smoke        every scenario for about a second with tiny sizes; validates the JSON it wrote (exit 1 if not)
//   --out FILE     where the JSON goes (default bench/results.json; bench/results.smoke.json with --smoke)
//   --together     run the end-to-end router and grammY runs at once instead of one after the other (faster; each
//                  then shares the two cores with the other: grammY's 429 retries cost the router about 0.03)
//   --serial       the default since 2026-12-01 (one after the other); kept so older commands still run
//   --floor        also measure bench/floor-worker.js (route + one Durable Object RPC + one SQLite insert): what the
//                  runtime allows the router's architecture with none of its logic (about a minute longer)
//   --handlers-off also (implies --floor) the ingest with the bots' alarms off (1 bot at each connection count, and
//                  the 200 bots): ingest alone, no handler and no reply, as the floor worker does
//   --profile      afterwards, CPU-profile the worker isolate in a 1-bot and an N-bot ingest run (not in the figures);
//                  and the cold bots' webhooks (in its run)
//   --only a,b     only these scenarios (ingest, e2e, pacing, contacts, broadcast, queue-heads, registry-writes,
//                  latency, cold);
//                  writes the sections they fill (default bench/results.only.json), checked with partialResultsSchema;
//                  prints the contacts, broadcast, queue-heads, registry-writes, latency and cold sections and the
//                  targets judged
// Contact sends (bench/contacts.ts) run after the rest: failover from a blocked Telegram chat to WhatsApp, and the same
// messages through contacts and through the bot. Then the send queue: a 100,000-recipient broadcast with replies
// meanwhile (bench/broadcast.ts), and the cost of choosing the next sends at 1,000 and 100,000 queued
// (bench/queue-heads.ts). Last, the D1 batches of 1,000 active bots before and after registry hubs
// (bench/registry-writes.ts). Then issue 17's: reply latency at light load against grammY (bench/latency.ts), and the
// first webhook to cold bots against a warm one (bench/cold.ts).
import { readFileSync, writeFileSync } from "node:fs"
import { cpus, tmpdir } from "node:os"
import { join } from "node:path"
import { parseArgs } from "node:util"
import { z } from "zod"
import { type BroadcastRun, broadcastRun, fullBroadcastSizes, smokeBroadcastSizes } from "./broadcast.ts"
import { type ColdRun, coldRun, fullColdSizes, smokeColdSizes } from "./cold.ts"
import {
  type FailoverRun,
  failoverRuns,
  fullContactSizes,
  type SendsRun,
  type SendsTarget,
  sendsRun,
  smokeContactSizes,
} from "./contacts.ts"
import { contactsResults, judgeContacts, renderContacts, withContactsSection } from "./contacts-report.ts"
import { API_LATENCY_MS, type BenchContext, fullSizes, smokeSizes, telegramLimits } from "./context.ts"
import { type E2eAckFloorRun, type E2eRun, type E2eTarget, e2eAckFloor, e2eRun } from "./e2e.ts"
import { type FloorPairs, floorPairsRun, fullFloorPairSizes, smokeFloorPairSizes } from "./floor-pairs.ts"
import { type GatewayRun, gatewayRun } from "./gateway.ts"
import { type IngestRun, type IngestTarget, ingestRun } from "./ingest.ts"
import { fullLatencySizes, latencyRuns, smokeLatencySizes } from "./latency.ts"
import {
  cpuOverFloor,
  judgeCold,
  judgeIssue17,
  judgeLatency,
  latencyResults,
  renderCold,
  renderLatency,
} from "./latency-report.ts"
import type { LatencyResults } from "./latency-schema.ts"
import { type PacingRun, pacingRun } from "./pacing.ts"
import { fullQueueHeadsSizes, queueHeadsRuns, smokeQueueHeadsSizes } from "./queue-heads.ts"
import {
  judgeBroadcast,
  judgeQueueHeads,
  queueHeadsResults,
  renderBroadcast,
  renderQueueHeads,
  renderTargets,
} from "./queue-report.ts"
import { LIST_BUSINESS, type ListFigures, listFigures, listRound, listSetup } from "./registry.ts"
import {
  fullRegistryWritesSizes,
  type RegistryWritesRun,
  registryWritesRun,
  smokeRegistryWritesSizes,
} from "./registry-writes.ts"
import { judgeRegistryWrites, renderRegistryWrites } from "./registry-writes-report.ts"
import { e2eSeries, gatewaySeries, ingestSeries, judge, listSeries, renderTable } from "./report.ts"
import {
  type BenchResults,
  type PartialResults,
  partialResultsSchema,
  type QueueHeadsResults,
  resultsSchema,
  SCHEMA,
  type Scenario,
  scenarios,
} from "./results-schema.ts"
import { ratioSpread, roundSpread, spread } from "./stats.ts"
import { buildBundle, buildFloorBundle, handlersOffBundle, root } from "./worker.ts"

const { values } = parseArgs({
  options: {
    smoke: { type: "boolean", default: false },
    out: { type: "string" },
    profile: { type: "boolean", default: false },
    serial: { type: "boolean", default: false },
    together: { type: "boolean", default: false },
    floor: { type: "boolean", default: false },
    "handlers-off": { type: "boolean", default: false },
    only: { type: "string" },
  },
})
const smoke = values.smoke ?? false
const serial = (values.serial ?? false) || !(values.together ?? false)
const handlersOff = values["handlers-off"] ?? false
const floor = (values.floor ?? false) || handlersOff
const only = values.only === undefined ? undefined : parseOnly(values.only)
const want = (scenario: Scenario) => only === undefined || only.includes(scenario)
const out = values.out ?? join(root, "bench", `results${smoke ? ".smoke" : ""}${only ? ".only" : ""}.json`)
const sizes = smoke ? smokeSizes : fullSizes
const contactSizes = smoke ? smokeContactSizes : fullContactSizes
const broadcastSizes = smoke ? smokeBroadcastSizes : fullBroadcastSizes
const queueHeadsSizes = smoke ? smokeQueueHeadsSizes : fullQueueHeadsSizes
const registryWritesSizes = smoke ? smokeRegistryWritesSizes : fullRegistryWritesSizes
const latencySizes = smoke ? smokeLatencySizes : fullLatencySizes
const coldSizes = smoke ? smokeColdSizes : fullColdSizes
const floorPairSizes = smoke ? smokeFloorPairSizes : fullFloorPairSizes
const started = Date.now()
const log = (line: string) => process.stderr.write(`[bench +${Math.round((Date.now() - started) / 1000)}s] ${line}\n`)

function version(pkg: string): string {
  try {
    const json: unknown = JSON.parse(readFileSync(join(root, "node_modules", pkg, "package.json"), "utf8"))
    const v = typeof json === "object" && json !== null && "version" in json ? json.version : undefined
    return typeof v === "string" ? v : "?"
  } catch {
    return "?"
  }
}

function parseOnly(list: string): Scenario[] {
  const names = list
    .split(",")
    .map((n) => n.trim())
    .filter((n) => n !== "")
  const known = (n: string): n is Scenario => (scenarios as readonly string[]).includes(n)
  const unknown = names.filter((n) => !known(n))
  if (names.length === 0 || unknown.length > 0) {
    process.stderr.write(
      `--only: unknown scenario(s) ${unknown.join(", ") || "(none given)"}; known: ${scenarios.join(", ")}\n`,
    )
    process.exit(2)
  }
  return scenarios.filter((s) => names.includes(s))
}

log("building the worker bundle (wrangler deploy --dry-run)")
const bundle = buildBundle()
const ctx: BenchContext = { bundle, sizes, log }
if (floor) ctx.floorBundle = await buildFloorBundle(bundle)
if (handlersOff) ctx.handlersOffBundle = handlersOffBundle(bundle)

try {
  const push = <T>(map: Map<string, T[]>, key: string, value: T) => map.set(key, [...(map.get(key) ?? []), value])

  // 1 and 4 (ingest scale): every round runs each target once, so each ratio compares runs a few seconds apart; then
  // the round's Discord Gateway run.
  const ingest = new Map<string, IngestRun[]>()
  const gateway: GatewayRun[] = []
  const scaleConnections = sizes.connections.at(-1) ?? 64
  for (let round = 1; want("ingest") && round <= sizes.rounds; round++) {
    for (const connections of sizes.connections) {
      const targets: IngestTarget[] = floor
        ? ["bare", "floor", "router", ...(handlersOff ? (["handlers-off"] as const) : []), "slack", "discord", "grammy"]
        : ["bare", "router", "slack", "discord", "grammy"]
      for (const target of targets) {
        const run = await ingestRun(ctx, target, connections)
        log(`ingest round ${round} ${target}@${connections}: ${run.updatesPerSecond}/s p99 ${run.p99Ms} ms`)
        push(ingest, `${target}@${connections}`, run)
      }
    }
    const run = await ingestRun(ctx, "router", scaleConnections, sizes.scaleBots)
    log(`ingest round ${round} router@${scaleConnections} over ${sizes.scaleBots} bots: ${run.updatesPerSecond}/s`)
    push(ingest, "scale", run)
    if (floor) {
      const run = await ingestRun(ctx, "floor", scaleConnections, sizes.scaleBots)
      log(`ingest round ${round} floor@${scaleConnections} over ${sizes.scaleBots} objects: ${run.updatesPerSecond}/s`)
      push(ingest, "scale-floor", run)
    }
    if (handlersOff) {
      const run = await ingestRun(ctx, "handlers-off", scaleConnections, sizes.scaleBots)
      log(`ingest round ${round} handlers off over ${sizes.scaleBots} bots: ${run.updatesPerSecond}/s`)
      push(ingest, "scale-off", run)
    }
    const g = await gatewayRun(ctx)
    log(
      `gateway round ${round}: ${g.events} events in ${g.timeToInboxMs} ms (${g.eventsPerSecond}/s), dispatched at ${g.dispatchPerSecond}/s, lost ${g.lost}, dup ${g.duplicated}`,
    )
    gateway.push(g)
  }
  const runsOf = (key: string) => ingest.get(key) ?? []
  const rate = (runs: IngestRun[]) => runs.map((r) => r.updatesPerSecond)
  // With --handlers-off: one bot's ingest and the floor worker's, both up at once, in alternating turns.
  const inTurns =
    want("ingest") && handlersOff && ctx.ingestFakes ? await floorPairsRun(ctx, ctx.ingestFakes, floorPairSizes) : []

  await ctx.ingestFakes?.close()
  ctx.ingestFakes = undefined

  // 2. End to end. Each run has its own server and fakes processes; in each round the router and the grammY peer take
  // the same burst one after the other (--together: at the same time, which is quicker, but on two cores each then
  // slows the other). The no-limits reference is CPU-bound for its few seconds: it runs alone, once.
  const e2e = new Map<string, E2eRun[]>()
  const e2eAckFloors: E2eAckFloorRun[] = []
  const e2eLog = (round: number, run: E2eRun) =>
    log(
      `e2e round ${round} ${run.target}: last reply ${run.timeToLastReplyMs} ms, lost ${run.lost}, 429s ${run.rejected429}`,
    )
  for (let round = 1; want("e2e") && round <= sizes.rounds; round++) {
    const pair: E2eTarget[] = ["router", "grammy"]
    const runs = serial
      ? [await e2eRun(ctx, "router"), await e2eRun(ctx, "grammy")]
      : await Promise.all(pair.map((target) => e2eRun(ctx, target)))
    if (round === 1) runs.push(await e2eRun(ctx, "grammy-unlimited"))
    for (const run of runs) {
      e2eLog(round, run)
      push(e2e, run.target, run)
    }
    // With --floor: the same delivery against the floor worker, alone (the pair above shares the machine).
    if (ctx.floorBundle) {
      const f = await e2eAckFloor(ctx)
      log(`e2e round ${round} floor worker: time to 2xx p50 ${f.ackP50Ms} ms, p99 ${f.ackP99Ms} ms`)
      e2eAckFloors.push(f)
    }
  }
  const e2eOf = (key: string) => e2e.get(key) ?? []

  // 3. Pacing, alone: its figure is a rate, and a timer or a fake clock that waits for a core costs slots.
  let pacing: { runs: PacingRun[]; peakMemoryMb: number; serverCores: number } | undefined
  if (want("pacing")) {
    log(`pacing: ${sizes.pacing.messages} Telegram and ${sizes.pacing.messages} WhatsApp messages`)
    pacing = await pacingRun(ctx)
    const [telegram, whatsapp] = pacing.runs
    log(`pacing: telegram ${telegram?.ratio}, whatsapp ${whatsapp?.ratio} of the allowed rate`)
  }

  // 4. Registry scale: both sizes alive at once, queried in alternating rounds.
  const lists = new Map<string, ListFigures[]>()
  if (want("ingest")) {
    log(`registry: seeding ${sizes.registry.totalBots} and ${sizes.registry.businessBots} bots`)
    const small = await listSetup(ctx, sizes.registry.businessBots)
    const large = await listSetup(ctx, sizes.registry.totalBots)
    try {
      for (let round = 1; round <= sizes.rounds; round++) {
        for (const setup of [small, large]) {
          const first = await listRound(ctx, setup, false)
          const deep = await listRound(ctx, setup, true)
          push(lists, setup === small ? "small" : "large", listFigures(setup, first, deep))
        }
      }
    } finally {
      await Promise.all([small.worker.dispose(), large.worker.dispose()])
    }
  }
  const listsOf = (key: string) => lists.get(key) ?? []
  const p95 = (key: string, f: (l: ListFigures) => number) => listsOf(key).map(f)

  // 6. Contact sends, alone like pacing (failover times are latencies). Failover: every round on one worker. Sends:
  // in each round the bot run and the contact run, each on a fresh worker, in alternating order.
  let contacts: BenchResults["contacts"] | undefined
  if (want("contacts")) {
    log(`failover: ${contactSizes.failover.contacts} contacts, telegram (403 blocked) → whatsapp`)
    const failover: FailoverRun[] = await failoverRuns(ctx, contactSizes)
    const sends = new Map<SendsTarget, SendsRun[]>()
    for (let round = 1; round <= sizes.rounds; round++) {
      const order: SendsTarget[] = round % 2 === 1 ? ["bot", "contact"] : ["contact", "bot"]
      for (const target of order) {
        const run = await sendsRun(ctx, contactSizes, target)
        log(
          `sends round ${round} ${target}: ${run.sendsPerSecond}/s at the API, all at the fake in ${run.timeToAllMs} ms, ${run.cpuMsPerMessage} CPU ms/message, lost ${run.lost}, dup ${run.duplicated}`,
        )
        push(sends, target, run)
      }
    }
    contacts = contactsResults(failover, sends.get("bot") ?? [], sends.get("contact") ?? [])
  }

  // 7. A broadcast, alone (its figure is a rate, and its replies' times are latencies).
  let broadcast: BroadcastRun | undefined
  if (want("broadcast")) {
    log(
      `broadcast: ${broadcastSizes.recipients} WhatsApp recipients at ${broadcastSizes.perSecond}/s, ${broadcastSizes.echoChats} chats writing meanwhile`,
    )
    broadcast = await broadcastRun(ctx, broadcastSizes)
    log(
      `broadcast: ${broadcast.ratio} of the allowed rate (tenths ${broadcast.ratioTenths.min}–${broadcast.ratioTenths.max}), lost ${broadcast.lost}, dup ${broadcast.duplicated}, 429s ${broadcast.rejected429}; replies p50 ${broadcast.echo.p50Ms} ms p95 ${broadcast.echo.p95Ms} ms (idle p50 ${broadcast.idleEcho.p50Ms} ms)`,
    )
  }

  // 8. Choosing the next sends at a small and a large queue: one workerd, both queues, rounds alternating.
  let queueHeads: QueueHeadsResults | undefined
  if (want("queue-heads")) {
    log(`queue-heads: ${queueHeadsSizes.small} and ${queueHeadsSizes.large} queued, ${queueHeadsSizes.rounds} rounds`)
    queueHeads = queueHeadsResults(await queueHeadsRuns(ctx, queueHeadsSizes))
  }

  // 9. The registry's D1 writes from many active bots, alone (its updates keep a schedule).
  let registryWrites: RegistryWritesRun | undefined
  if (want("registry-writes")) {
    const w = registryWritesSizes
    log(`registry-writes: ${w.bots} bots, ${w.intervals} intervals of ${w.flushMs} ms, ${w.hubs} hubs`)
    registryWrites = await registryWritesRun(ctx, w)
    log(
      `registry-writes: D1 batches before ${registryWrites.before}, after ${registryWrites.after} (${registryWrites.ratio}x); ${registryWrites.updatesPerSecond} updates/s`,
    )
  }

  // 10 and 11 (issue 17): reply latency at light load, ours and grammY's at once; then cold bots, alone.
  let latency: LatencyResults | undefined
  if (want("latency")) {
    log(`latency: ${latencySizes.bots} bots × ${latencySizes.chatsPerBot} chats, ours and grammY's at once`)
    latency = latencyResults(await latencyRuns(ctx, latencySizes))
    log(
      `latency: p50 ${latency.router.p50Ms} vs ${latency.grammy.p50Ms} ms, p99 ${latency.router.p99Ms} vs ${latency.grammy.p99Ms} ms`,
    )
  }
  let cold: ColdRun | undefined
  if (want("cold")) {
    log(`cold: ${coldSizes.bots} bots, restarted on their storage`)
    const file = values.profile ? join(tmpdir(), "switchboard-cold-bots.cpuprofile") : undefined
    cold = await coldRun(ctx, coldSizes, file)
    log(
      `cold: p50 ${cold.cold.p50Ms} ms (warm ${cold.warm.p50Ms}), p99 ${cold.cold.p99Ms} ms (warm ${cold.warm.p99Ms})`,
    )
    if (cold.profile) log(`profile of the cold webhooks: ${cold.profile.file}`)
  }

  const profiles: BenchResults["profiles"] = []
  if (values.profile && want("ingest")) {
    for (const bots of [1, sizes.scaleBots]) {
      const file = join(tmpdir(), `switchboard-ingest-${bots}-bots.cpuprofile`)
      const run = await ingestRun(ctx, "router", scaleConnections, bots, file)
      if (run.profile)
        profiles.push({ run: `router ingest, ${bots} bot(s), ${scaleConnections} conns`, summary: run.profile })
      log(`profile of the ${bots}-bot ingest run: ${file}`)
    }
  }

  const common = {
    schema: SCHEMA as typeof SCHEMA,
    date: new Date(started).toISOString(),
    smoke,
    durationS: 0,
    environment: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? "?",
      node: process.versions.node,
      workerd: version("workerd"),
      miniflare: version("miniflare"),
      wrangler: version("wrangler"),
      grammy: version("grammy"),
      hono: version("hono"),
    },
    config: {
      apiLatencyMs: API_LATENCY_MS,
      overlap: serial
        ? "none: each e2e run alone"
        : "in each e2e round the router and grammY + auto-retry ran at the same time (own processes and fakes)",
      telegramLimits: { ...telegramLimits, perSecond: sizes.pacing.telegramPerSecond },
      whatsappLimits: { perSecond: sizes.pacing.whatsappPerSecond },
      e2eShape: `${sizes.e2e.bots} bots × ${sizes.e2e.chatsPerBot} chats × ${sizes.e2e.updatesPerChat} updates`,
      pageSize: sizes.registry.pageSize,
      listBusiness: LIST_BUSINESS,
      sizes,
      contactSizes,
      broadcastSizes,
      queueHeadsSizes,
      registryWritesSizes,
      latencySizes,
      coldSizes,
      ...(handlersOff ? { floorPairSizes } : {}),
    },
    profiles,
  }
  /** One connection count's paired turns (floor-pairs.ts), without the key the row already has. */
  const withTurns = (t: FloorPairs | undefined) => {
    if (!t) return {}
    const { connections: _, ...inTurns } = t
    return { inTurns }
  }
  const ingestSections = (): Pick<BenchResults, "ingest" | "scale" | "gateway"> => ({
    ingest: sizes.connections.map((connections) => {
      const bare = runsOf(`bare@${connections}`)
      const router = runsOf(`router@${connections}`)
      const slack = runsOf(`slack@${connections}`)
      const discord = runsOf(`discord@${connections}`)
      const grammy = runsOf(`grammy@${connections}`)
      const floor = runsOf(`floor@${connections}`)
      const off = runsOf(`handlers-off@${connections}`)
      return {
        connections,
        bare: ingestSeries(bare),
        router: ingestSeries(router),
        slack: ingestSeries(slack),
        discord: ingestSeries(discord),
        grammy: ingestSeries(grammy),
        routerOverBare: roundSpread(ratioSpread(rate(router), rate(bare)), 3),
        slackOverBare: roundSpread(ratioSpread(rate(slack), rate(bare)), 3),
        discordOverBare: roundSpread(ratioSpread(rate(discord), rate(bare)), 3),
        routerOverGrammy: roundSpread(ratioSpread(rate(router), rate(grammy)), 3),
        ...(floor.length > 0
          ? {
              floor: ingestSeries(floor),
              floorOverBare: roundSpread(ratioSpread(rate(floor), rate(bare)), 3),
              routerOverFloor: roundSpread(ratioSpread(rate(router), rate(floor)), 3),
            }
          : {}),
        ...(floor.length > 0 && off.length > 0
          ? {
              handlersOff: ingestSeries(off),
              handlersOffOverFloor: roundSpread(ratioSpread(rate(off), rate(floor)), 3),
            }
          : {}),
        ...withTurns(inTurns.find((t) => t.connections === connections)),
      }
    }),
    scale: {
      connections: scaleConnections,
      bots: sizes.scaleBots,
      oneBot: ingestSeries(runsOf(`router@${scaleConnections}`)),
      manyBots: ingestSeries(runsOf("scale")),
      ratio: roundSpread(ratioSpread(rate(runsOf("scale")), rate(runsOf(`router@${scaleConnections}`))), 3),
      ...(floor
        ? {
            floorManyObjects: ingestSeries(runsOf("scale-floor")),
            floorRatio: roundSpread(
              ratioSpread(rate(runsOf("scale-floor")), rate(runsOf(`floor@${scaleConnections}`))),
              3,
            ),
            cpuOverFloor: cpuOverFloor(runsOf("scale"), runsOf("scale-floor")),
          }
        : {}),
      ...(handlersOff
        ? {
            handlersOff: ingestSeries(runsOf("scale-off")),
            cpuHandlersOffOverFloor: cpuOverFloor(runsOf("scale-off"), runsOf("scale-floor")),
          }
        : {}),
      list: {
        small: listSeries(listsOf("small")),
        large: listSeries(listsOf("large")),
        firstPageP95Ratio: roundSpread(
          ratioSpread(
            p95("large", (l) => l.firstPage.p95Ms),
            p95("small", (l) => l.firstPage.p95Ms),
          ),
          3,
        ),
        deepCursorP95Ratio: roundSpread(
          ratioSpread(
            p95("large", (l) => l.deepCursor.p95Ms),
            p95("small", (l) => l.deepCursor.p95Ms),
          ),
          3,
        ),
      },
    },
    gateway: gatewaySeries(
      gateway,
      scaleConnections,
      ratioSpread(
        gateway.map((g) => g.eventsPerSecond),
        rate(runsOf(`router@${scaleConnections}`)),
      ),
    ),
  })
  const e2eSection = (): BenchResults["e2e"] => ({
    router: e2eSeries(e2eOf("router")),
    grammy: e2eSeries(e2eOf("grammy")),
    grammyUnlimited: e2eSeries(e2eOf("grammy-unlimited")),
    routerOverGrammy: roundSpread(
      ratioSpread(
        e2eOf("router").map((r) => r.repliesPerSecond),
        e2eOf("grammy").map((r) => r.repliesPerSecond),
      ),
      3,
    ),
    ...(e2eAckFloors.length > 0
      ? {
          ackFloor: {
            runs: e2eAckFloors,
            ackP50Ms: spread(e2eAckFloors.map((f) => f.ackP50Ms)),
            ackP99Ms: spread(e2eAckFloors.map((f) => f.ackP99Ms)),
          },
          ackP99OverFloor: roundSpread(
            ratioSpread(
              e2eOf("router").map((r) => r.ackP99Ms),
              e2eAckFloors.map((f) => f.ackP99Ms),
            ),
            2,
          ),
        }
      : {}),
  })
  const pacingSection = (p: NonNullable<typeof pacing>): BenchResults["pacing"] => {
    const [telegram, whatsapp] = p.runs
    if (!telegram || !whatsapp) throw new Error("pacing: missing a platform")
    return { telegram, whatsapp, peakMemoryMb: p.peakMemoryMb, serverCores: p.serverCores }
  }
  /** The targets of the send-queue scenarios that ran (the contacts' too), judged from their own sections. */
  const laterTargets = () => [
    ...(contacts ? judgeContacts(contacts) : []),
    ...(broadcast ? judgeBroadcast(broadcast) : []),
    ...(queueHeads ? judgeQueueHeads(queueHeads, queueHeadsSizes) : []),
    ...(registryWrites ? judgeRegistryWrites(registryWrites) : []),
    ...(latency ? judgeLatency(latency) : []),
    ...(cold ? judgeCold(cold) : []),
    ...judgeIssue17(
      { ...(want("ingest") ? ingestSections() : {}), ...(want("e2e") ? { e2e: e2eSection() } : {}) },
      sizes.e2e.bots * sizes.pacing.telegramPerSecond,
    ),
  ]
  const sections = () => [
    ...(contacts ? renderContacts(contacts, contactSizes) : []),
    ...(broadcast ? ["", ...renderBroadcast(broadcast, broadcastSizes)] : []),
    ...(queueHeads ? ["", ...renderQueueHeads(queueHeads, queueHeadsSizes)] : []),
    ...(registryWrites ? ["", ...renderRegistryWrites(registryWrites, registryWritesSizes)] : []),
    ...(latency ? ["", ...renderLatency(latency, latencySizes)] : []),
    ...(cold ? ["", ...renderCold(cold, coldSizes)] : []),
  ]

  if (only === undefined) {
    if (!pacing || !contacts || !broadcast || !queueHeads || !registryWrites || !latency || !cold)
      throw new Error("a scenario did not run")
    const body: Omit<BenchResults, "targets"> = {
      ...common,
      ...ingestSections(),
      e2e: e2eSection(),
      pacing: pacingSection(pacing),
      contacts,
      broadcast,
      queueHeads,
      registryWrites,
      latency,
      cold,
    }
    body.durationS = Math.round((Date.now() - started) / 1000)
    const results: BenchResults = { ...body, targets: [...judge(body), ...laterTargets()] }
    writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`)
    process.stdout.write(`${withContactsSection(renderTable(results), sections())}\n`)
  } else {
    const ran = {
      ...(want("ingest") ? ingestSections() : {}),
      ...(want("e2e") ? { e2e: e2eSection() } : {}),
      ...(pacing ? { pacing: pacingSection(pacing) } : {}),
    }
    const partial: PartialResults = {
      ...common,
      only,
      ...ran,
      ...(contacts ? { contacts } : {}),
      ...(broadcast ? { broadcast } : {}),
      ...(queueHeads ? { queueHeads } : {}),
      ...(registryWrites ? { registryWrites } : {}),
      ...(latency ? { latency } : {}),
      ...(cold ? { cold } : {}),
      targets: [...judge(ran), ...laterTargets()],
    }
    partial.durationS = Math.round((Date.now() - started) / 1000)
    writeFileSync(out, `${JSON.stringify(partial, null, 2)}\n`)
    const skipped = scenarios.filter((s) => !want(s))
    const lines = [
      `Switchboard bench ${smoke ? "(SMOKE: tiny sizes, figures mean nothing) " : ""}· --only ${only.join(",")} (not run: ${skipped.join(", ") || "none"}) · ${partial.date}`,
      "Sections 1-5 of the table are not printed with --only (what ran of them is in the JSON); their targets are.",
      "",
      ...sections(),
      "",
      ...renderTargets(partial.targets, partial.durationS),
    ]
    process.stdout.write(`${lines.join("\n")}\n`)
  }
  for (const p of profiles) {
    process.stdout.write(`\nProfile: ${p.run} (${p.summary.file}), self time by source file:\n`)
    for (const f of p.summary.byFile.slice(0, 12))
      process.stdout.write(`  ${String(f.selfPct).padStart(5)}%  ${f.file}\n`)
    process.stdout.write("  top functions:\n")
    for (const h of p.summary.byFunction.slice(0, 15))
      process.stdout.write(`  ${String(h.selfPct).padStart(5)}%  ${h.name}  ${h.file}\n`)
  }
  process.stdout.write(`\nJSON: ${out}\n`)
  // What it wrote must read back as the results bench/results-schema.ts describes.
  const schema = only === undefined ? resultsSchema : partialResultsSchema
  const check = schema.safeParse(JSON.parse(readFileSync(out, "utf8")))
  if (!check.success) {
    process.stderr.write(`results do not validate:\n${z.prettifyError(check.error)}\n`)
    process.exitCode = 1
  }
} finally {
  bundle.cleanup()
  ctx.floorBundle?.cleanup()
}
