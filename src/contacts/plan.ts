/**
 * Smart routing, pure: which of a contact's channels to try for one message, in what order, and why each other one
 * was skipped. The order comes from the send's `route.channels`, else the contact's preferred platforms, else the
 * business's first matching rule, else the channel the person wrote from most recently.
 */
import type { OutboundContent, OutboundMessage } from "../providers/types"
import type { Contact, Identity, MessageKind, RouteOption, RoutingRule } from "../registry/contact-schemas"
import type { BotStatus } from "../registry/schemas"

export interface PlanBot {
  id: string
  platform: string
  status: BotStatus
}

/** What routing needs to know of a platform. */
export interface PlatformRules {
  checkMessage(msg: OutboundMessage): { path: string; message: string } | null
  serviceWindowMs?: number
}

export interface Candidate {
  botId: string
  platform: string
  chatId: string
}

export interface Considered extends Candidate {
  kept: boolean
  /** Why it is where it is in the order, or why it was skipped. */
  reason: string
}

export type OrderSource = "route" | "preferredPlatforms" | "rule" | "recency"

export interface Plan {
  source: OrderSource
  /** The rule that matched, when the order came from one (its name, or its position). */
  rule: string | null
  kind: MessageKind
  candidates: Candidate[]
  considered: Considered[]
}

export interface PlanInput {
  contact: Contact
  bots: ReadonlyMap<string, PlanBot>
  content: OutboundContent
  route?: RouteOption | undefined
  rules: RoutingRule[]
  platforms: (platform: string) => PlatformRules | null
  now: number
}

export function messageKind(content: OutboundContent): MessageKind {
  if (content.template) return "template"
  if (content.media) return "media"
  return "text"
}

/** Most recent writer first; identities nobody wrote from yet last, newest first. */
function byRecency(a: Identity, b: Identity): number {
  return (b.lastInboundAt ?? -1) - (a.lastInboundAt ?? -1) || b.createdAt - a.createdAt
}

function matches(rule: RoutingRule, contact: Contact, kind: MessageKind): boolean {
  const m = rule.match
  if (m.kinds && !m.kinds.includes(kind)) return false
  if (m.tagsAny && !m.tagsAny.some((t) => contact.tags.includes(t))) return false
  if (m.attributes && Object.entries(m.attributes).some(([k, v]) => contact.attributes[k] !== v)) return false
  return true
}

/** Identities ordered by a list of platforms (or bot ids), then, when `rest`, the others by recency. */
function orderBy(identities: Identity[], names: string[], rest: boolean): { identity: Identity; why: string }[] {
  const out: { identity: Identity; why: string }[] = []
  const taken = new Set<Identity>()
  for (const [i, name] of names.entries()) {
    for (const identity of identities) {
      if (taken.has(identity) || (identity.botId !== name && identity.platform !== name)) continue
      taken.add(identity)
      out.push({ identity, why: `${name} is choice ${i + 1}` })
    }
  }
  if (rest)
    for (const identity of identities)
      if (!taken.has(identity)) out.push({ identity, why: "not named: by recency after the named ones" })
  return out
}

export function plan(input: PlanInput): Plan {
  const { contact, content, route } = input
  const kind = messageKind(content)
  const identities = [...contact.identities].sort(byRecency)
  let source: OrderSource = "recency"
  let rule: string | null = null
  let ordered: { identity: Identity; why: string }[]
  const rules = input.rules.map((r, i) => ({ r, i })).filter(({ r }) => matches(r, contact, kind))
  const firstRule = rules[0]
  if (route?.channels) {
    source = "route"
    ordered = orderBy(identities, route.channels, false)
  } else if (contact.preferredPlatforms.length > 0) {
    source = "preferredPlatforms"
    ordered = orderBy(identities, contact.preferredPlatforms, true)
  } else if (firstRule) {
    source = "rule"
    rule = firstRule.r.name ?? `rule ${firstRule.i + 1}`
    ordered = orderBy(identities, firstRule.r.platforms, true)
  } else {
    ordered = identities.map((identity, i) => ({
      identity,
      why: identity.lastInboundAt === null ? "never wrote here" : `wrote here ${ordinal(i + 1)} most recently`,
    }))
  }
  const considered = ordered.map(({ identity, why }): Considered => {
    const base = { botId: identity.botId, platform: identity.platform, chatId: identity.chatId }
    const skip = skipReason(input, identity, kind)
    return skip === null ? { ...base, kept: true, reason: why } : { ...base, kept: false, reason: skip }
  })
  if (source === "route") {
    const named = new Set(considered.map((c) => `${c.botId}\n${c.chatId}`))
    for (const identity of identities)
      if (!named.has(`${identity.botId}\n${identity.chatId}`))
        considered.push({
          botId: identity.botId,
          platform: identity.platform,
          chatId: identity.chatId,
          kept: false,
          reason: "not named by route.channels",
        })
  }
  const candidates = considered
    .filter((c) => c.kept)
    .map((c) => ({ botId: c.botId, platform: c.platform, chatId: c.chatId }))
  return { source, rule, kind, candidates, considered }
}

/** Why this channel cannot take the message now, or null when it can. */
function skipReason(input: PlanInput, identity: Identity, kind: MessageKind): string | null {
  const bot = input.bots.get(identity.botId)
  if (!bot) return "bot_deleted: the bot no longer exists"
  if (bot.status !== "active") return `bot_${bot.status}: the bot is ${bot.status}`
  if (identity.optedOut) return "opted_out: the person opted out on this channel"
  const rules = input.platforms(identity.platform)
  if (!rules) return "platform_unknown"
  const problem = rules.checkMessage({ ...input.content, chatId: identity.chatId })
  if (problem) return `unsupported: ${problem.message}`
  if (rules.serviceWindowMs !== undefined && kind !== "template") {
    const last = identity.lastInboundAt
    if (last === null || input.now - last > rules.serviceWindowMs)
      return `window_closed: no message from the person in the last ${Math.round(rules.serviceWindowMs / 3600_000)} hours (only templates may be sent)`
  }
  return null
}

function ordinal(n: number): string {
  if (n === 1) return ""
  const suffix = n % 10 === 2 && n % 100 !== 12 ? "nd" : n % 10 === 3 && n % 100 !== 13 ? "rd" : "th"
  return `${n}${suffix} `
}
