// What the contact scenarios (bench/contacts.ts) become: their series (min/median/max over rounds), their targets and
// their section of the printed table, which goes in before the targets.
import type { ContactSizes, FailoverRun, SendsRun } from "./contacts.ts"
import { num, row, sp } from "./format.ts"
import type { ContactsResults, FailoverSeries, SendsSeries, Target } from "./results-schema.ts"
import { ratioSpread, roundSpread, type Spread, spread } from "./stats.ts"

export function failoverSeries(runs: FailoverRun[]): FailoverSeries {
  const s = (f: (r: FailoverRun) => number, digits = 1) => roundSpread(spread(runs.map(f)), digits)
  const worst = (f: (r: FailoverRun) => number) => Math.max(0, ...runs.map(f))
  return {
    runs,
    p50Ms: s((r) => r.p50Ms),
    p95Ms: s((r) => r.p95Ms),
    minMs: s((r) => r.minMs),
    maxMs: s((r) => r.maxMs),
    steadyP50Ms: s((r) => r.steadyP50Ms),
    steadyP95Ms: s((r) => r.steadyP95Ms),
    enqueueMs: s((r) => r.enqueueMs, 0),
    timeToAllMs: s((r) => r.timeToAllMs, 0),
    peakMemoryMb: s((r) => r.peakMemoryMb),
    lost: worst((r) => r.lost),
    duplicated: worst((r) => r.duplicated),
    telegramOff: worst((r) => r.telegramOff),
    statusWrong: worst((r) => r.statusWrong),
  }
}

export function sendsSeries(runs: SendsRun[]): SendsSeries {
  const s = (f: (r: SendsRun) => number, digits = 1) => roundSpread(spread(runs.map(f)), digits)
  const worst = (f: (r: SendsRun) => number) => Math.max(0, ...runs.map(f))
  return {
    runs,
    sendsPerSecond: s((r) => r.sendsPerSecond),
    apiP50Ms: s((r) => r.apiP50Ms),
    apiP99Ms: s((r) => r.apiP99Ms),
    timeToAllMs: s((r) => r.timeToAllMs, 0),
    serverCores: s((r) => r.serverCores, 2),
    cpuMsPerMessage: s((r) => r.cpuMsPerMessage, 3),
    peakMemoryMb: s((r) => r.peakMemoryMb),
    lost: worst((r) => r.lost),
    duplicated: worst((r) => r.duplicated),
  }
}

/** The JSON's `contacts`: `bot[i]` and `contact[i]` ran in the same round, so each ratio is per round. */
export function contactsResults(failover: FailoverRun[], bot: SendsRun[], contact: SendsRun[]): ContactsResults {
  const per = (f: (r: SendsRun) => number) => roundSpread(ratioSpread(contact.map(f), bot.map(f)), 3)
  return {
    failover: failoverSeries(failover),
    sends: {
      bot: sendsSeries(bot),
      contact: sendsSeries(contact),
      contactOverBot: per((r) => r.sendsPerSecond),
      timeToAllContactOverBot: per((r) => r.timeToAllMs),
      cpuContactOverBot: per((r) => r.cpuMsPerMessage),
    },
  }
}

/** Exactly once, for both scenarios (the timings and the ratio have no threshold: no baseline sets one). */
export function judgeContacts(c: ContactsResults): Target[] {
  const f = c.failover
  const failoverFaults = f.lost + f.duplicated + f.telegramOff + f.statusWrong
  const s = c.sends
  const sendFaults = s.bot.lost + s.bot.duplicated + s.contact.lost + s.contact.duplicated
  return [
    {
      id: "failover-exact",
      text: "contact failover: lost + dup + attempts/status wrong",
      value: failoverFaults,
      threshold: "= 0",
      pass: failoverFaults === 0,
    },
    {
      id: "contact-sends-exact",
      text: "sends via contacts and via the bot: lost + dup",
      value: sendFaults,
      threshold: "= 0",
      pass: sendFaults === 0,
    },
  ]
}

// ---- the table ----

const seconds = (s: Spread): Spread => ({ min: s.min / 1000, median: s.median / 1000, max: s.max / 1000 })

export function renderContacts(c: ContactsResults, sizes: ContactSizes): string[] {
  const out: string[] = []
  const f = c.failover
  out.push("6. Contacts: sends through POST /api/contacts/:id/messages (routing, one Durable Object per contact)")
  out.push(
    `   Failover: ${num(sizes.failover.contacts)} contacts, route telegram → whatsapp; the Telegram fake answers 403 (bot blocked), WhatsApp's window is open; ${f.runs.length} rounds`,
  )
  out.push(
    row([
      ["", 5],
      ["failover p50 ms", 18],
      ["p95 ms", 18],
      ["min ms", 14],
      ["max ms", 18],
      ["all sent s", 16],
      ["lost/dup/tg/status", 18],
      ["peak MB", 7],
    ]),
  )
  out.push(
    row([
      ["", 5],
      [sp(f.p50Ms), 18],
      [sp(f.p95Ms), 18],
      [sp(f.minMs), 14],
      [sp(f.maxMs), 18],
      [sp(seconds(f.timeToAllMs), 1), 16],
      [`${f.lost}/${f.duplicated}/${f.telegramOff}/${f.statusWrong}`, 18],
      [num(f.peakMemoryMb.median), 7],
    ]),
  )
  const steady = spread(f.runs.map((r) => r.steady)).median
  const sends = f.runs[0]?.contacts ?? 0
  out.push(
    `      after the round's last 202 (median ${num(steady)} of ${num(sends)} sends): p50 ${sp(f.steadyP50Ms)}, p95 ${sp(f.steadyP95Ms)} ms`,
  )
  out.push(
    "      failover: the Telegram fake's 403 answer to the WhatsApp fake receiving the send; all sent: first send to last WhatsApp message (Telegram's 30/s pacing)",
  )
  const s = c.sends
  out.push(
    `   Sends: the same ${num(sizes.sends.messages)} messages over ${num(sizes.sends.chats)} chats, ${sizes.sends.concurrency} requests in flight, through the bot and through the chats' contacts (bot pacing raised to 1,000/s)`,
  )
  out.push(
    row([
      ["", 5],
      ["path", 32],
      ["sends/s (API)", 22],
      ["API p50 ms", 20],
      ["API p99 ms", 24],
      ["all at fake s", 18],
      ["CPU ms/msg", 10],
      ["lost/dup", 8],
      ["peak MB", 7],
    ]),
  )
  for (const [name, series] of [
    ["POST /api/bots/:id/messages", s.bot],
    ["POST /api/contacts/:id/messages", s.contact],
  ] as const) {
    out.push(
      row([
        ["", 5],
        [name, 32],
        [sp(series.sendsPerSecond), 22],
        [sp(series.apiP50Ms, 1), 20],
        [sp(series.apiP99Ms, 1), 24],
        [sp(seconds(series.timeToAllMs), 1), 18],
        [num(series.cpuMsPerMessage.median, 2), 10],
        [`${series.lost}/${series.duplicated}`, 8],
        [num(series.peakMemoryMb.median), 7],
      ]),
    )
  }
  out.push(
    `      contact/bot: sends/s ${sp(s.contactOverBot, 2)}   time to fake ${sp(s.timeToAllContactOverBot, 2)}   CPU ms/msg ${sp(s.cpuContactOverBot, 2)}`,
  )
  return out
}

/** The table with the contacts section in before its targets (at the end if the table has no "Targets" line). */
export function withContactsSection(table: string, section: string[]): string {
  const lines = table.split("\n")
  const at = lines.indexOf("Targets")
  if (at < 0) return [...lines, "", ...section].join("\n")
  return [...lines.slice(0, at), ...section, "", ...lines.slice(at)].join("\n")
}
