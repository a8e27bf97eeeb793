// bench/results.json, as bench/run.ts writes it: a zod schema, the types inferred from it, and the liveness checks the
// smoke run makes on the file it wrote (every scenario answered; the figures themselves are not judged here).
import { z } from "zod"
import type { BroadcastRun, BroadcastSizes } from "./broadcast.ts"
import type { ContactSizes, FailoverRun, SendsRun } from "./contacts.ts"
import type { Sizes } from "./context.ts"
import type { E2eRun } from "./e2e.ts"
import type { GatewayRun } from "./gateway.ts"
import type { IngestRun } from "./ingest.ts"
import { coldRun, coldSizes, latencyResults, latencySizes } from "./latency-schema.ts"
import type { PacingRun } from "./pacing.ts"
import type { ProfileSummary } from "./profile.ts"
import type { QueueHeadsRound, QueueHeadsSetup, QueueHeadsSizes } from "./queue-heads.ts"
import type { ListFigures } from "./registry.ts"
import type { RegistryWritesRun, RegistryWritesSizes } from "./registry-writes.ts"
import { count, figure, profileSummary, spread } from "./schema-parts.ts"
import type { Spread } from "./stats.ts"

export const SCHEMA = "switchboard-bench/8"

const ingestRun = z.strictObject({
  target: z.enum(["bare", "router", "slack", "discord", "grammy", "floor", "handlers-off"]),
  connections: count,
  bots: count,
  updatesPerSecond: figure,
  p50Ms: figure,
  p99Ms: figure,
  ok: count,
  failed: count,
  serverCores: figure,
  cpuMsPerUpdate: figure,
  benchCores: figure,
  failures: z.record(z.string(), count),
  peakMemoryMb: figure,
  problems: z.array(z.string()),
  repliesSent: count,
  profile: profileSummary.optional(),
})

const gatewayRun = z.strictObject({
  events: count,
  concurrency: count,
  inbound: count,
  lost: count,
  duplicated: count,
  undelivered: count,
  reconnects: count,
  dispatchMs: figure,
  dispatchPerSecond: figure,
  timeToInboxMs: figure,
  eventsPerSecond: figure,
  serverCores: figure,
  cpuMsPerEvent: figure,
  peakMemoryMb: figure,
  repliesSent: count,
  problems: z.array(z.string()),
})

const e2eRun = z.strictObject({
  target: z.enum(["router", "grammy", "grammy-unlimited"]),
  updates: count,
  replies: count,
  lost: count,
  duplicated: count,
  outOfOrderChats: count,
  timeToLastReplyMs: figure,
  repliesPerSecond: figure,
  rejected429: count,
  failedDeliveries: count,
  ackP50Ms: figure,
  ackP99Ms: figure,
  peakMemoryMb: figure,
  serverCpuS: figure,
  problems: z.array(z.string()),
})

const pacingRun = z.strictObject({
  platform: z.enum(["telegram", "whatsapp"]),
  messages: count,
  allowedPerSecond: z.number(),
  achievedPerSecond: figure,
  ratio: figure,
  ratioByThird: spread,
  rejected429: count,
  medianGapMs: figure,
  lost: count,
  duplicated: count,
  enqueueMs: figure,
  totalMs: figure,
})

const listFigures = z.strictObject({
  registryBots: count,
  businessBots: count,
  firstPage: z.strictObject({ p50Ms: figure, p95Ms: figure }),
  deepCursor: z.strictObject({ p50Ms: figure, p95Ms: figure, position: count }),
  seedMs: figure,
  peakMemoryMb: figure,
})

const failoverRun = z.strictObject({
  contacts: count,
  failedOver: count,
  p50Ms: figure,
  p95Ms: figure,
  minMs: figure,
  maxMs: figure,
  steady: count,
  steadyP50Ms: figure,
  steadyP95Ms: figure,
  enqueueMs: figure,
  timeToAllMs: figure,
  lost: count,
  duplicated: count,
  telegramAttempts: count,
  telegramOff: count,
  statusWrong: count,
  peakMemoryMb: figure,
  problems: z.array(z.string()),
})

const sendsRun = z.strictObject({
  target: z.enum(["bot", "contact"]),
  messages: count,
  chats: count,
  concurrency: count,
  enqueueMs: figure,
  sendsPerSecond: figure,
  apiP50Ms: figure,
  apiP99Ms: figure,
  timeToAllMs: figure,
  lost: count,
  duplicated: count,
  serverCores: figure,
  cpuMsPerMessage: figure,
  peakMemoryMb: figure,
  problems: z.array(z.string()),
})

const echoFigures = z.strictObject({
  posted: count,
  answered: count,
  p50Ms: figure,
  p95Ms: figure,
  minMs: figure,
  maxMs: figure,
})

const broadcastRun = z.strictObject({
  recipients: count,
  allowedPerSecond: z.number(),
  uploadMs: figure,
  accepted: count,
  achievedPerSecond: figure,
  ratio: figure,
  ratioByTenth: z.array(figure),
  ratioTenths: spread,
  medianGapMs: figure,
  rejected429: count,
  lost: count,
  duplicated: count,
  firstSendMs: figure,
  totalMs: figure,
  api: z.strictObject({ status: z.string(), sent: count, failed: count, skipped: count, queued: count }),
  idleEcho: echoFigures,
  echo: echoFigures,
  echoWaitSlots: figure,
  serverCores: figure,
  fakeCores: figure,
  peakMemoryMb: figure,
  problems: z.array(z.string()),
})

/** µs per call of each way of choosing the next sends (queue-heads.ts). */
const perWay = z.strictObject({ heads: figure, pick: figure, old: figure })
const perWayCount = z.strictObject({ heads: count, pick: count, old: count })
const queueDepth = z.strictObject({ messages: count, queued: count, sending: count, chats: count, heads: count })

const queueHeadsSetup = z.strictObject({
  small: queueDepth,
  large: queueDepth,
  fillMs: figure,
  callsPerSample: z.strictObject({ small: perWayCount, large: perWayCount }),
  picked: z.strictObject({ small: perWayCount, large: perWayCount }),
  peakMemoryMb: figure,
})

const queueHeadsRound = z.strictObject({ small: perWay, large: perWay, callMs: figure })

const broadcastSizes = z.strictObject({
  recipients: count,
  perSecond: z.number(),
  echoChats: count,
  echoEveryMs: z.number(),
  idleEchoes: count,
  idleEveryMs: z.number(),
  deadlineMs: z.number(),
})

const queueHeadsSizes = z.strictObject({
  small: count,
  large: count,
  rounds: count,
  samples: count,
  limit: count,
  inFlight: count,
  sampleMs: z.number(),
})

const registryWritesSizes = z.strictObject({
  bots: count,
  businesses: count,
  intervals: count,
  flushMs: z.number(),
  hubs: count,
  createConcurrency: count,
  connections: count,
  drainDeadlineMs: z.number(),
})

/** D1 batches before hubs (one per bot report) and after (one per hub flush), in one run (registry-writes.ts). */
const registryWritesRun = z.strictObject({
  bots: count,
  businesses: count,
  hubs: count,
  intervals: count,
  flushMs: z.number(),
  compression: figure,
  representsMinutes: figure,
  windowMs: z.number(),
  createMs: figure,
  posted: count,
  accepted: count,
  failedAttempts: count,
  scheduledPerSecond: figure,
  updatesPerSecond: figure,
  lateP50Ms: figure,
  lateP99Ms: figure,
  lateMaxMs: figure,
  ackP50Ms: figure,
  ackP99Ms: figure,
  replies: count,
  duplicateReplies: count,
  before: count,
  after: count,
  ratio: figure,
  facts: count,
  pendingAtEnd: count,
  reportsByInterval: z.array(count),
  batchesByInterval: z.array(count),
  beforePerSecond: figure,
  afterPerSecond: figure,
  beforePerSecondAt15s: figure,
  afterPerSecondAt15s: figure,
  perBotMin: count,
  perBotMedian: count,
  perBotMax: count,
  coverage: figure,
  d1: z.strictObject({ inbound: count, outbound: count, rollupRows: count, identities: count }),
  drainMs: figure,
  serverCores: figure,
  peakMemoryMb: figure,
  problems: z.array(z.string()),
  extrapolation: z.array(
    z.strictObject({
      activeBots: count,
      beforePerSecond: figure,
      afterPerSecond: figure,
      reportsPerHubPerSecond: figure,
    }),
  ),
})

const contactSizes = z.strictObject({
  failover: z.strictObject({ contacts: count, deadlineMs: z.number() }),
  sends: z.strictObject({ messages: count, chats: count, concurrency: count, deadlineMs: z.number() }),
})

const sizes = z.strictObject({
  rounds: count,
  warmupMs: z.number(),
  durationMs: z.number(),
  connections: z.array(count),
  scaleBots: count,
  e2e: z.strictObject({
    bots: count,
    chatsPerBot: count,
    updatesPerChat: count,
    maxConnections: count,
    deadlineMs: z.number(),
  }),
  pacing: z.strictObject({
    messages: count,
    telegramPerSecond: z.number(),
    whatsappPerSecond: z.number(),
    deadlineMs: z.number(),
  }),
  registry: z.strictObject({ businessBots: count, totalBots: count, samplesPerRound: count, pageSize: count }),
  gateway: z.strictObject({ events: count, concurrency: count, deadlineMs: z.number() }),
})

// Every series holds the runs of all rounds (at least one) and the spread of each figure over them.
const ingestSeries = z.strictObject({
  runs: z.array(ingestRun).min(1),
  updatesPerSecond: spread,
  p50Ms: spread,
  p99Ms: spread,
  serverCores: spread,
  cpuMsPerUpdate: spread,
  peakMemoryMb: spread,
})

const e2eSeries = z.strictObject({
  runs: z.array(e2eRun).min(1),
  timeToLastReplyMs: spread,
  repliesPerSecond: spread,
  rejected429: spread,
  /** The webhooks' time to 2xx (each run's p50 and p99). */
  ackP50Ms: spread,
  ackP99Ms: spread,
  peakMemoryMb: spread,
  /** CPU cores the serving process used on average over the run. */
  serverCores: spread,
  /** Worst round. */
  lost: count,
  duplicated: count,
  outOfOrderChats: count,
})

const gatewaySeries = z.strictObject({
  runs: z.array(gatewayRun).min(1),
  eventsPerSecond: spread,
  dispatchPerSecond: spread,
  timeToInboxMs: spread,
  serverCores: spread,
  cpuMsPerEvent: spread,
  peakMemoryMb: spread,
  /** Per round: Gateway events/s over the Telegram webhook's updates/s (router, one bot) at `webhookConnections`. */
  webhookConnections: count,
  overWebhook: spread,
  /** Worst round. */
  lost: count,
  duplicated: count,
  reconnects: count,
})

const listSeries = z.strictObject({
  runs: z.array(listFigures).min(1),
  firstPageP95Ms: spread,
  deepCursorP95Ms: spread,
})

const failoverSeries = z.strictObject({
  runs: z.array(failoverRun).min(1),
  p50Ms: spread,
  p95Ms: spread,
  minMs: spread,
  maxMs: spread,
  steadyP50Ms: spread,
  steadyP95Ms: spread,
  enqueueMs: spread,
  timeToAllMs: spread,
  peakMemoryMb: spread,
  /** Worst round. */
  lost: count,
  duplicated: count,
  telegramOff: count,
  statusWrong: count,
})

const sendsSeries = z.strictObject({
  runs: z.array(sendsRun).min(1),
  sendsPerSecond: spread,
  apiP50Ms: spread,
  apiP99Ms: spread,
  timeToAllMs: spread,
  serverCores: spread,
  cpuMsPerMessage: spread,
  peakMemoryMb: spread,
  /** Worst run. */
  lost: count,
  duplicated: count,
})

const contactsResults = z.strictObject({
  /** One worker for all rounds: the same contacts, a new send to each per round. */
  failover: failoverSeries,
  sends: z.strictObject({
    bot: sendsSeries,
    contact: sendsSeries,
    /** Per round: the contact run's figure over the bot run's of the same round. */
    contactOverBot: spread,
    timeToAllContactOverBot: spread,
    cpuContactOverBot: spread,
  }),
})

const bySize = z.strictObject({ small: spread, large: spread })

const queueHeadsResults = z.strictObject({
  /** Both queues, filled once; K per way and size, and what each way chose in one call. */
  setup: queueHeadsSetup,
  runs: z.array(queueHeadsRound).min(1),
  headsUs: bySize,
  pickUs: bySize,
  oldUs: bySize,
  /** Per round: the large queue's µs per call over the small queue's. */
  headsRatio: spread,
  pickRatio: spread,
  oldRatio: spread,
  /** Per round: the old query's µs over Outbox.heads's, at the large queue. */
  oldOverHeadsLarge: spread,
})

const target = z.strictObject({
  id: z.string(),
  text: z.string(),
  /** The figure judged: the median of the per-round values. */
  value: figure,
  threshold: z.string(),
  pass: z.boolean(),
})

const results = z.strictObject({
  schema: z.literal(SCHEMA),
  date: z.iso.datetime(),
  smoke: z.boolean(),
  durationS: z.number(),
  environment: z.strictObject({
    cpus: count,
    cpuModel: z.string(),
    node: z.string(),
    workerd: z.string(),
    miniflare: z.string(),
    wrangler: z.string(),
    grammy: z.string(),
    hono: z.string(),
  }),
  config: z.strictObject({
    apiLatencyMs: z.number(),
    overlap: z.string(),
    telegramLimits: z.strictObject({
      perChatIntervalMs: z.number(),
      retryAfterSeconds: z.number(),
      perSecond: z.number(),
    }),
    whatsappLimits: z.strictObject({ perSecond: z.number() }),
    e2eShape: z.string(),
    pageSize: count,
    listBusiness: z.string(),
    sizes,
    /** The contact scenarios' sizes (bench/contacts.ts); their rounds are `sizes.rounds`. */
    contactSizes,
    /** The broadcast's sizes (bench/broadcast.ts): one run. */
    broadcastSizes,
    /** The queue-heads scenario's sizes and rounds (bench/queue-heads.ts). */
    queueHeadsSizes,
    /** The registry-writes scenario's sizes (bench/registry-writes.ts): one run. */
    registryWritesSizes,
    /** Reply latency's sizes (bench/latency.ts) and the cold bots' (bench/cold.ts): one run each. */
    latencySizes,
    coldSizes,
    /** With --handlers-off: the paired turns of one bot's ingest and the floor worker's (bench/floor-pairs.ts). */
    floorPairSizes: z.strictObject({ pairs: count, turnMs: count, settleMs: count }).optional(),
  }),
  ingest: z
    .array(
      z.strictObject({
        connections: count,
        bare: ingestSeries,
        /** Telegram bots. */
        router: ingestSeries,
        /** One Slack bot, signed Events API messages. */
        slack: ingestSeries,
        /** One Discord bot, Ed25519-signed slash-command interactions (answered deferred, type 5). */
        discord: ingestSeries,
        grammy: ingestSeries,
        routerOverBare: spread,
        slackOverBare: spread,
        discordOverBare: spread,
        routerOverGrammy: spread,
        /** With --floor. */
        floor: ingestSeries.optional(),
        floorOverBare: spread.optional(),
        routerOverFloor: spread.optional(),
        /** With --handlers-off: the same bot with its alarm off (ingest alone, as the floor), and its ratio to it. */
        handlersOff: ingestSeries.optional(),
        handlersOffOverFloor: spread.optional(),
        /**
         * With --handlers-off: the same bot with its alarm off and the floor worker, both up at once, in alternating
         * turns (bench/floor-pairs.ts): updates/s per turn, and per pair ours / the floor's (judged) and the floor's
         * CPU ms per update / ours.
         */
        inTurns: z
          .strictObject({
            floor: spread,
            handlersOff: spread,
            ratio: spread,
            cpuRatio: spread,
            failed: count,
          })
          .optional(),
      }),
    )
    .min(1),
  scale: z.strictObject({
    connections: count,
    bots: count,
    oneBot: ingestSeries,
    manyBots: ingestSeries,
    ratio: spread,
    /** With --floor: the floor worker over as many Durable Objects, and its ratio to one object. */
    floorManyObjects: ingestSeries.optional(),
    floorRatio: spread.optional(),
    /** With --floor, per round: CPU ms per update over the bots, ours / the floor worker's over as many objects. */
    cpuOverFloor: spread.optional(),
    /** With --handlers-off: the same bots with their alarms off (ingest alone), and its CPU ratio to the floor's. */
    handlersOff: ingestSeries.optional(),
    cpuHandlersOffOverFloor: spread.optional(),
    list: z.strictObject({
      small: listSeries,
      large: listSeries,
      firstPageP95Ratio: spread,
      deepCursorP95Ratio: spread,
    }),
  }),
  /** Discord Gateway events into one bot's inbox (one run per round, after that round's ingest runs). */
  gateway: gatewaySeries,
  e2e: z.strictObject({
    router: e2eSeries,
    grammy: e2eSeries,
    grammyUnlimited: e2eSeries,
    routerOverGrammy: spread,
    /** With --floor: the same burst's webhooks against the floor worker, alone, each round; and ours over it. */
    ackFloor: z
      .strictObject({
        runs: z
          .array(z.strictObject({ delivered: count, failedDeliveries: count, ackP50Ms: figure, ackP99Ms: figure }))
          .min(1),
        ackP50Ms: spread,
        ackP99Ms: spread,
      })
      .optional(),
    ackP99OverFloor: spread.optional(),
  }),
  pacing: z.strictObject({ telegram: pacingRun, whatsapp: pacingRun, peakMemoryMb: figure, serverCores: figure }),
  /** Contact sends: failover from a blocked Telegram chat to WhatsApp, and contact sends against bot sends. */
  contacts: contactsResults,
  /** A broadcast to many chats on one WhatsApp number at 1,000/s, with replies to people writing meanwhile. */
  broadcast: broadcastRun,
  /** Choosing the next sends at a small and a large queue: the head index against the query it replaced. */
  queueHeads: queueHeadsResults,
  /** D1 batches of many active bots before registry hubs (Σ reports) and after (Σ hub batches), one run. */
  registryWrites: registryWritesRun,
  /** Reply latency at light load: ours against grammY on Node, same schedule, same run (issue 17). */
  latency: latencyResults,
  /** The first webhook to bots whose objects are not loaded, against a second (warm) one (issue 17). */
  cold: coldRun,
  targets: z.array(target),
  profiles: z.array(z.strictObject({ run: z.string(), summary: profileSummary })),
})

/** The scenarios `--only` can pick, and the results' sections each one writes. */
export const scenarios = [
  "ingest",
  "e2e",
  "pacing",
  "contacts",
  "broadcast",
  "queue-heads",
  "registry-writes",
  "latency",
  "cold",
] as const
export type Scenario = (typeof scenarios)[number]
export const sectionsOf = {
  ingest: ["ingest", "scale", "gateway"],
  e2e: ["e2e"],
  pacing: ["pacing"],
  contacts: ["contacts"],
  broadcast: ["broadcast"],
  "queue-heads": ["queueHeads"],
  "registry-writes": ["registryWrites"],
  latency: ["latency"],
  cold: ["cold"],
} as const satisfies Record<Scenario, readonly (keyof z.infer<typeof results>)[]>

type Full = z.infer<typeof results>
type Need = (ok: boolean, message: string, ...path: (string | number)[]) => void

/** That the targets judged include `id` (by exact id). */
const judged = (r: Pick<Full, "targets">, need: Need, id: string, what = id) =>
  need(
    r.targets.some((t) => t.id === id),
    `${what} judged`,
    "targets",
  )

/** Liveness of each scenario's sections (figures are not judged here), and that its targets were judged. */
const alive: { [S in Scenario]: (r: Pick<Full, (typeof sectionsOf)[S][number] | "targets">, need: Need) => void } = {
  ingest: (r, need) => {
    for (const [n, i] of r.ingest.entries()) {
      for (const key of ["bare", "router", "slack", "discord", "grammy"] as const) {
        const answered = i[key].runs.every((run) => run.ok > 0)
        need(answered, "every run answered", "ingest", n, key, "runs")
      }
      for (const [platform, name] of [
        ["slack", "Slack"],
        ["discord", "Discord"],
      ] as const)
        judged(
          r,
          need,
          `ingest-${platform}-vs-bare-${i.connections}`,
          `the ${name} ingest at ${i.connections} connections`,
        )
    }
    const counted = r.gateway.runs.every((run) => run.inbound > 0)
    need(counted, "every Gateway run reached the inbox", "gateway", "runs")
    for (const key of ["small", "large"] as const) {
      const timed = r.scale.list[key].runs.every((run) => run.firstPage.p95Ms > 0)
      need(timed, "every list request timed", "scale", "list", key, "runs")
    }
    judged(r, need, "gateway-exact", "the Gateway run")
  },
  e2e: (r, need) => {
    for (const key of ["router", "grammy", "grammyUnlimited"] as const) {
      const replied = r.e2e[key].runs.every((run) => run.replies > 0)
      need(replied, "every run replied", "e2e", key, "runs")
    }
    judged(r, need, "e2e-ack-p99", "the end-to-end time to 2xx")
  },
  pacing: (r, need) => {
    for (const key of ["telegram", "whatsapp"] as const)
      need(r.pacing[key].achievedPerSecond > 0, "messages went out", "pacing", key, "achievedPerSecond")
  },
  contacts: (r, need) => {
    const failedOver = r.contacts.failover.runs.every((run) => run.failedOver > 0)
    need(failedOver, "every failover round failed over", "contacts", "failover", "runs")
    for (const key of ["bot", "contact"] as const) {
      const sent = r.contacts.sends[key].runs.every((run) => run.sendsPerSecond > 0)
      need(sent, "every send run was accepted", "contacts", "sends", key, "runs")
    }
    for (const id of ["failover-exact", "contact-sends-exact"]) judged(r, need, id)
  },
  broadcast: (r, need) => {
    need(r.broadcast.accepted > 0, "the broadcast sent", "broadcast", "accepted")
    need(r.broadcast.echo.answered > 0, "replies came during the broadcast", "broadcast", "echo", "answered")
    need(r.broadcast.idleEcho.answered > 0, "the idle bot replied", "broadcast", "idleEcho", "answered")
    for (const id of ["broadcast-rate", "broadcast-exact", "broadcast-reply-wait"]) judged(r, need, id)
  },
  "queue-heads": (r, need) => {
    const q = r.queueHeads
    for (const size of ["small", "large"] as const)
      for (const way of ["heads", "pick", "old"] as const) {
        need(q.setup.picked[size][way] > 0, "every way chose messages", "queueHeads", "setup", "picked", size, way)
        const timed = q.runs.every((run) => run[size][way] > 0)
        need(timed, "every way was timed", "queueHeads", "runs")
      }
    judged(r, need, "queue-heads-flat")
  },
  "registry-writes": (r, need) => {
    const w = r.registryWrites
    need(w.accepted > 0, "updates were taken", "registryWrites", "accepted")
    need(w.before > 0, "bots reported to the hubs", "registryWrites", "before")
    need(w.after > 0, "the hubs wrote D1", "registryWrites", "after")
    need(w.d1.inbound > 0, "the counts reached D1", "registryWrites", "d1", "inbound")
    for (const id of ["registry-writes-hub-rate", "registry-writes-every-interval", "registry-writes-exact"])
      judged(r, need, id)
  },
  latency: (r, need) => {
    for (const key of ["router", "grammy"] as const)
      need(r.latency[key].replies > 0, "replies reached the fake", "latency", key, "replies")
    for (const id of ["latency-p50", "latency-p99"]) judged(r, need, id)
  },
  cold: (r, need) => {
    need(r.cold.cold.webhooks > 0, "cold webhooks were timed", "cold", "cold", "webhooks")
    need(r.cold.warm.webhooks > 0, "warm webhooks were timed", "cold", "warm", "webhooks")
    need(r.cold.replies > 0, "the bots replied", "cold", "replies")
    judged(r, need, "cold-vs-warm")
  },
}

/**
 * The results file: its shape, and that every scenario was alive (each ingest run answered, each Gateway run reached
 * the inbox, each end-to-end run replied, both sends went out, each list request timed, each failover round failed
 * over, each contact and bot send run was accepted, the broadcast sent and replies came meanwhile, each way of
 * choosing the queue's heads chose and was timed, the registry's bots reported and its hubs wrote D1, every target
 * judged). Figures are not judged here.
 */
export const resultsSchema = results.superRefine((r, ctx) => {
  const need: Need = (ok, message, ...path) => {
    if (!ok) ctx.addIssue({ code: "custom", message, path })
  }
  for (const s of scenarios) alive[s](r, need)
  need(r.targets.length >= 10, "every target judged", "targets")
})

/**
 * What `--only a,b` writes: the same file with only those scenarios' sections (`only` names them). Each section is
 * there exactly when its scenario is named, and is checked as in a full run.
 */
export const partialResultsSchema = results
  .partial({
    ingest: true,
    scale: true,
    gateway: true,
    e2e: true,
    pacing: true,
    contacts: true,
    broadcast: true,
    queueHeads: true,
    registryWrites: true,
    latency: true,
    cold: true,
  })
  .extend({ only: z.array(z.enum(scenarios)).min(1) })
  .superRefine((r, ctx) => {
    const need: Need = (ok, message, ...path) => {
      if (!ok) ctx.addIssue({ code: "custom", message, path })
    }
    for (const s of scenarios) {
      const named = r.only.includes(s)
      const present = sectionsOf[s].filter((key) => r[key] !== undefined)
      need(present.length === (named ? sectionsOf[s].length : 0), `${s}: its sections exactly when named`, "only")
      if (!named || present.length !== sectionsOf[s].length) continue
      // Present: the same checks as in a full run.
      ;(alive[s] as (r: unknown, need: Need) => void)(r, need)
    }
  })

export type BenchResults = z.infer<typeof resultsSchema>
export type IngestSeries = z.infer<typeof ingestSeries>
export type E2eSeries = z.infer<typeof e2eSeries>
export type GatewaySeries = z.infer<typeof gatewaySeries>
export type ListSeries = z.infer<typeof listSeries>
export type Target = z.infer<typeof target>
export type FailoverSeries = z.infer<typeof failoverSeries>
export type SendsSeries = z.infer<typeof sendsSeries>
export type ContactsResults = z.infer<typeof contactsResults>
export type QueueHeadsResults = z.infer<typeof queueHeadsResults>
export type PartialResults = z.infer<typeof partialResultsSchema>

// The runs are built by the scenario modules, which declare their own types: tsc fails here if one drifts from the
// schema (the smoke run's strict parse would also refuse a field the schema does not name).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
type Holds<T extends true> = T
export type SchemaMatchesScenarios = [
  Holds<Same<z.infer<typeof ingestRun>, IngestRun>>,
  Holds<Same<z.infer<typeof e2eRun>, E2eRun>>,
  Holds<Same<z.infer<typeof gatewayRun>, GatewayRun>>,
  Holds<Same<z.infer<typeof pacingRun>, PacingRun>>,
  Holds<Same<z.infer<typeof listFigures>, ListFigures>>,
  Holds<Same<z.infer<typeof profileSummary>, ProfileSummary>>,
  Holds<Same<z.infer<typeof spread>, Spread>>,
  Holds<Same<z.infer<typeof sizes>, Sizes>>,
  Holds<Same<z.infer<typeof failoverRun>, FailoverRun>>,
  Holds<Same<z.infer<typeof sendsRun>, SendsRun>>,
  Holds<Same<z.infer<typeof contactSizes>, ContactSizes>>,
  Holds<Same<z.infer<typeof broadcastRun>, BroadcastRun>>,
  Holds<Same<z.infer<typeof broadcastSizes>, BroadcastSizes>>,
  Holds<Same<z.infer<typeof queueHeadsSetup>, QueueHeadsSetup>>,
  Holds<Same<z.infer<typeof queueHeadsRound>, QueueHeadsRound>>,
  Holds<Same<z.infer<typeof queueHeadsSizes>, QueueHeadsSizes>>,
  Holds<Same<z.infer<typeof registryWritesRun>, RegistryWritesRun>>,
  Holds<Same<z.infer<typeof registryWritesSizes>, RegistryWritesSizes>>,
]
