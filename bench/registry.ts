// Registry scale: `GET /api/bots` latency for a business with 10,000 bots when the registry holds 10,000 bots and when
// it holds 100,000 (the rest belong to other businesses), first page and a deep cursor. Two workers, queried in
// alternating rounds, so both sizes are measured in the same minute.
import { randomBytes } from "node:crypto"
import type { BenchContext } from "./context.ts"
import { client } from "./load.ts"
import { percentile, round } from "./stats.ts"
import { type RunningWorker, startWorker } from "./worker.ts"

export const LIST_BUSINESS = "acme"

export interface ListFigures {
  registryBots: number
  businessBots: number
  firstPage: { p50Ms: number; p95Ms: number }
  deepCursor: { p50Ms: number; p95Ms: number; position: number }
  seedMs: number
  peakMemoryMb: number
}

const HOUR = 3600_000

/** `bot_` + 12 hex of ms + 4 hex of sequence + 12 random hex: the shape newId() gives, time-ordered. */
function botId(ms: number, seq: number): string {
  return `bot_${ms.toString(16).padStart(12, "0")}${(seq & 0xffff).toString(16).padStart(4, "0")}${randomBytes(6).toString("hex")}`
}

/**
 * Inserts bots straight into D1 (rows never messaged: sealed fields are placeholders), 250 rows a statement.
 * The business's bots and the others' are interleaved in time, as real sign-ups would be.
 */
async function seed(worker: RunningWorker, businessBots: number, otherBots: number): Promise<string[]> {
  const db = await worker.mf.getD1Database("DB")
  const others = Math.max(1, Math.ceil(otherBots / 1000))
  const businesses = [LIST_BUSINESS, ...Array.from({ length: others }, (_, i) => `other-${i}`)]
  await db.exec(
    businesses.map((b) => `INSERT INTO businesses (id, name, created_at) VALUES ('${b}', '${b}', 0);`).join("\n"),
  )
  const total = businessBots + otherBots
  const start = Date.now() - 400 * 24 * HOUR
  const step = Math.floor((400 * 24 * HOUR) / total)
  const ours: string[] = []
  const rows: string[] = []
  const config = `'{"handler":{"type":"echo"},"settings":{}}'`
  for (let i = 0; i < total; i++) {
    // Every (total / businessBots)-th bot is the business's; the others are spread over the other businesses.
    const mine = Math.floor(((i + 1) * businessBots) / total) > Math.floor((i * businessBots) / total)
    const owner = mine ? LIST_BUSINESS : `other-${i % others}`
    const at = start + i * step
    const id = botId(at, i)
    if (mine) ours.push(id)
    rows.push(
      `('${id}','${owner}','telegram','bot ${i}','active',NULL,${at},${at},NULL,${config},'sealed','{}','sealed',NULL,0)`,
    )
  }
  const columns =
    "id, business_id, platform, name, status, status_reason, created_at, updated_at, last_active, config, credentials_enc, credentials_public, webhook_secret_enc, routing_key, queue_depth"
  const statements: string[] = []
  for (let i = 0; i < rows.length; i += 250) {
    statements.push(`INSERT INTO bots (${columns}) VALUES ${rows.slice(i, i + 250).join(",")};`)
  }
  // D1's exec() takes one statement a line; a few at a time keeps each call small.
  for (let i = 0; i < statements.length; i += 8) await db.exec(statements.slice(i, i + 8).join("\n"))
  return ours.reverse() // newest first, as the API lists them
}

export interface ListSetup {
  worker: RunningWorker
  registryBots: number
  businessBots: number
  /** The cursor the API would give after `position` bots (base64url of the last id shown). */
  deepCursor: string
  position: number
  seedMs: number
}

export async function listSetup(ctx: BenchContext, registryBots: number): Promise<ListSetup> {
  const { businessBots, pageSize } = ctx.sizes.registry
  // Listing never calls a platform: the API bases point nowhere.
  const worker = await startWorker(ctx.bundle, {
    telegramApiBase: "http://127.0.0.1:9",
    whatsappApiBase: "http://127.0.0.1:9",
  })
  const t0 = performance.now()
  const ids = await seed(worker, businessBots, registryBots - businessBots)
  const seedMs = performance.now() - t0
  // The last full page: what a client walking every page reaches last.
  const position = Math.max(pageSize, Math.floor((businessBots - pageSize) / pageSize) * pageSize)
  const last = ids[position - 1] ?? ""
  return {
    worker,
    registryBots,
    businessBots,
    deepCursor: Buffer.from(`bot:${last}`).toString("base64url"),
    position,
    seedMs: Math.round(seedMs),
  }
}

/** Sequential requests (one connection): latency without queueing. Checks each answer is a full page. */
export async function listRound(ctx: BenchContext, setup: ListSetup, deep: boolean): Promise<number[]> {
  const { samplesPerRound, pageSize } = ctx.sizes.registry
  const http = client(1)
  const auth = { authorization: `Bearer ${setup.worker.token(LIST_BUSINESS)}` }
  const url = `${setup.worker.origin}/api/bots?limit=${pageSize}${deep ? `&cursor=${setup.deepCursor}` : ""}`
  const out: number[] = []
  try {
    for (let i = 0; i < samplesPerRound; i++) {
      const answer = await http.request("GET", url, auth)
      if (answer.status !== 200)
        throw new Error(`GET /api/bots answered ${answer.status}: ${answer.body.slice(0, 200)}`)
      if (i === 0) {
        const body: unknown = JSON.parse(answer.body)
        const bots = typeof body === "object" && body !== null && "bots" in body ? body.bots : undefined
        if (!Array.isArray(bots) || bots.length !== pageSize) throw new Error("GET /api/bots: not a full page")
      }
      out.push(answer.ms)
    }
  } finally {
    http.close()
  }
  return out
}

export function listFigures(setup: ListSetup, first: number[], deep: number[]): ListFigures {
  return {
    registryBots: setup.registryBots,
    businessBots: setup.businessBots,
    firstPage: { p50Ms: round(percentile(first, 50)), p95Ms: round(percentile(first, 95)) },
    deepCursor: { p50Ms: round(percentile(deep, 50)), p95Ms: round(percentile(deep, 95)), position: setup.position },
    seedMs: setup.seedMs,
    peakMemoryMb: round(setup.worker.peakMemoryMb(), 1),
  }
}
