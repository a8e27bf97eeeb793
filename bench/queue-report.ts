// What the send-queue scenarios (bench/broadcast.ts, bench/queue-heads.ts) become: the queue-heads series
// (min/median/max over rounds, ratios per round), their targets and their sections of the printed table (7 and 8),
// which go in before the targets like the contacts section.
import type { BroadcastRun, BroadcastSizes } from "./broadcast.ts"
import { num, row, sp } from "./format.ts"
import type { QueueHeadsResult, QueueHeadsRound, QueueHeadsSizes, Way } from "./queue-heads.ts"
import type { QueueHeadsResults, Target } from "./results-schema.ts"
import { ratioSpread, round, roundSpread, spread } from "./stats.ts"

/** The share of the allowed rate a broadcast must reach, as pacing's. */
export const BROADCAST_RATE = 0.95
/** A reply during a broadcast waits at most this many send slots more than on the idle bot (p50). */
export const REPLY_WAIT_SLOTS = 2
/** Choosing the next sends at the large queue costs at most this many times what it costs at the small one. */
export const HEADS_FLAT = 1.5

export function queueHeadsResults(r: QueueHeadsResult): QueueHeadsResults {
  const cost = (size: "small" | "large", way: Way) => roundSpread(spread(r.runs.map((x) => x[size][way])), 1)
  const per = (way: Way) =>
    roundSpread(
      ratioSpread(
        r.runs.map((x) => x.large[way]),
        r.runs.map((x) => x.small[way]),
      ),
      3,
    )
  return {
    setup: r.setup,
    runs: r.runs,
    headsUs: { small: cost("small", "heads"), large: cost("large", "heads") },
    pickUs: { small: cost("small", "pick"), large: cost("large", "pick") },
    oldUs: { small: cost("small", "old"), large: cost("large", "old") },
    headsRatio: per("heads"),
    pickRatio: per("pick"),
    oldRatio: per("old"),
    oldOverHeadsLarge: roundSpread(
      ratioSpread(
        r.runs.map((x: QueueHeadsRound) => x.large.old),
        r.runs.map((x: QueueHeadsRound) => x.large.heads),
      ),
      1,
    ),
  }
}

export function judgeBroadcast(b: BroadcastRun): Target[] {
  const faults = b.lost + b.duplicated
  return [
    {
      id: "broadcast-rate",
      text: `broadcast of ${num(b.recipients)}: achieved / allowed rate`,
      value: b.ratio,
      threshold: `>= ${BROADCAST_RATE}`,
      pass: b.ratio >= BROADCAST_RATE,
    },
    {
      id: "broadcast-exact",
      text: "broadcast: recipients lost + duplicated",
      value: faults,
      threshold: "= 0",
      pass: faults === 0,
    },
    {
      id: "broadcast-reply-wait",
      text: "reply during a broadcast: p50 over idle, in send slots",
      value: b.echoWaitSlots,
      threshold: `<= ${REPLY_WAIT_SLOTS}`,
      pass: b.echoWaitSlots <= REPLY_WAIT_SLOTS,
    },
  ]
}

export function judgeQueueHeads(q: QueueHeadsResults, sizes: QueueHeadsSizes): Target[] {
  const v = q.headsRatio.median
  return [
    {
      id: "queue-heads-flat",
      text: `next ${sizes.limit} sends: cost at ${num(sizes.large)} / ${num(sizes.small)} queued`,
      value: round(v, 3),
      threshold: `<= ${HEADS_FLAT}`,
      pass: v <= HEADS_FLAT,
    },
  ]
}

// ---- the table ----

export function renderBroadcast(b: BroadcastRun, sizes: BroadcastSizes): string[] {
  const out: string[] = []
  out.push(
    `7. Broadcast: ${num(b.recipients)} WhatsApp chats that never wrote (a template), one number paced at ${num(b.allowedPerSecond)}/s (the fake enforces ${num(b.allowedPerSecond)}/s); recipients as NDJSON`,
  )
  out.push(
    `   meanwhile ${sizes.echoChats} chats write, one post every ${sizes.echoEveryMs} ms (echo handler); before it, ${sizes.idleEchoes} posts to the idle bot, one every ${sizes.idleEveryMs} ms`,
  )
  out.push(
    row([
      ["", 5],
      ["ratio (tenths)", 26],
      ["sends/s", 9],
      ["gap ms / limit", 15],
      ["429s", 5],
      ["lost/dup", 9],
      ["upload s", 9],
      ["total s", 8],
      ["cores", 5],
      ["peak MB", 7],
    ]),
  )
  out.push(
    row([
      ["", 5],
      [`${num(b.ratio, 3)} (${num(b.ratioTenths.min, 2)}–${num(b.ratioTenths.max, 2)})`, 26],
      [num(b.achievedPerSecond), 9],
      [`${num(b.medianGapMs, 2)} / ${num(1000 / b.allowedPerSecond, 2)}`, 15],
      [num(b.rejected429), 5],
      [`${b.lost}/${b.duplicated}`, 9],
      [num(b.uploadMs / 1000, 1), 9],
      [num(b.totalMs / 1000, 1), 8],
      [num(b.serverCores, 2), 5],
      [num(b.peakMemoryMb), 7],
    ]),
  )
  out.push(`      per tenth: ${b.ratioByTenth.map((r) => num(r, 2)).join(" ")}`)
  const e = b.echo
  const i = b.idleEcho
  out.push(
    `      replies (post → echo at the fake): during ${num(e.answered)}/${num(e.posted)} p50 ${num(e.p50Ms)} ms p95 ${num(e.p95Ms)} ms max ${num(e.maxMs)} ms; idle bot ${num(i.answered)}/${num(i.posted)} p50 ${num(i.p50Ms)} ms p95 ${num(i.p95Ms)} ms; p50 over idle ${num(b.echoWaitSlots, 1)} send slots`,
  )
  out.push(
    `      API at the end: ${b.api.status}, sent ${num(b.api.sent)}, failed ${num(b.api.failed)}, skipped ${num(b.api.skipped)}, queued ${num(b.api.queued)}; first send ${num(b.firstSendMs)} ms after the release; fakes' process ${num(b.fakeCores, 2)} cores`,
  )
  return out
}

export function renderQueueHeads(q: QueueHeadsResults, sizes: QueueHeadsSizes): string[] {
  const out: string[] = []
  const s = q.setup
  out.push(
    `8. Queue heads: the next ${sizes.limit} sendable messages of one bot's queue, at ${num(s.small.messages)} and ${num(s.large.messages)} queued (two per chat, a fifth of the chats paced, ${num(s.large.sending)} in flight), in a Durable Object; µs per call, ${q.runs.length} rounds`,
  )
  out.push(
    row([
      ["", 5],
      ["way", 44],
      [`${num(s.small.messages)} µs`, 22],
      [`${num(s.large.messages)} µs`, 26],
      ["large/small", 20],
    ]),
  )
  for (const [name, small, large, ratio] of [
    ["Outbox.heads: head index, then the rows", q.headsUs.small, q.headsUs.large, q.headsRatio],
    ["  the index's pick alone", q.pickUs.small, q.pickUs.large, q.pickRatio],
    ["old query: correlated MIN per chat, the rows", q.oldUs.small, q.oldUs.large, q.oldRatio],
  ] as const) {
    out.push(
      row([
        ["", 5],
        [name, 44],
        [sp(small), 22],
        [sp(large), 26],
        [sp(ratio, 2), 20],
      ]),
    )
  }
  out.push(`      at ${num(s.large.messages)} queued the old query costs ${sp(q.oldOverHeadsLarge, 1)}x Outbox.heads`)
  return out
}

/** The targets as the main table prints them (for a run with --only, which has no main table). */
export function renderTargets(targets: Target[], durationS: number): string[] {
  const out = ["Targets"]
  for (const t of targets)
    out.push(`  ${t.pass ? "ok  " : "MISS"} ${t.text.padEnd(58)} ${num(t.value, 3).padEnd(8)} target ${t.threshold}`)
  const missed = targets.filter((t) => !t.pass).length
  out.push(`  ${targets.length - missed} met, ${missed} missed · ${durationS} s`)
  return out
}
