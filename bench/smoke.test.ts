// `npm run bench:smoke`: the bench starts, runs every scenario with tiny sizes (about two minutes), writes its JSON,
// and the JSON parses with the schema of bench/results-schema.ts; `--only` writes a partial file its own schema
// accepts. Figures are not judged: a smoke run proves the plumbing, not the speed. Not part of `npm test` (it starts a
// dozen workerd and Node processes).
import assert from "node:assert/strict"
import { spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { test } from "node:test"
import { z } from "zod"
import { partialResultsSchema, resultsSchema, SCHEMA } from "./results-schema.ts"

/** The written results with one thing broken: each must fail the schema, or the check above it proves nothing. */
const broken: [string, (r: Record<string, unknown>) => void][] = [
  ["a field missing", (r) => delete r.targets],
  ["a field the schema does not name", (r) => Object.assign(r, { extra: 1 })],
  ["another schema version", (r) => Object.assign(r, { schema: "switchboard-bench/1" })],
  ["a figure of the wrong type", (r) => Object.assign(r, { durationS: "42" })],
  ["an ingest run that answered nothing", (r) => Object.assign(at(r, "ingest", 0, "router", "runs", 0), { ok: 0 })],
  ["a Slack ingest run that answered nothing", (r) => Object.assign(at(r, "ingest", 0, "slack", "runs", 0), { ok: 0 })],
  [
    "the Slack ingest not judged",
    (r) => Object.assign(r, { targets: Array.isArray(r.targets) ? r.targets.filter(without("slack")) : [] }),
  ],
  [
    "a Discord ingest run that answered nothing",
    (r) => Object.assign(at(r, "ingest", 0, "discord", "runs", 0), { ok: 0 }),
  ],
  [
    "the Discord ingest not judged",
    (r) => Object.assign(r, { targets: Array.isArray(r.targets) ? r.targets.filter(without("discord")) : [] }),
  ],
  ["a Gateway run that reached nothing", (r) => Object.assign(at(r, "gateway", "runs", 0), { inbound: 0 })],
  [
    "the Gateway run not judged",
    (r) => Object.assign(r, { targets: Array.isArray(r.targets) ? r.targets.filter(without("gateway")) : [] }),
  ],
  ["a series with no runs", (r) => Object.assign(at(r, "e2e", "grammy"), { runs: [] })],
  [
    "a failover round that failed nothing over",
    (r) => Object.assign(at(r, "contacts", "failover", "runs", 0), { failedOver: 0 }),
  ],
  [
    "the failover not judged",
    (r) => Object.assign(r, { targets: Array.isArray(r.targets) ? r.targets.filter(without("failover")) : [] }),
  ],
  [
    "a contact send run that sent nothing",
    (r) => Object.assign(at(r, "contacts", "sends", "contact", "runs", 0), { sendsPerSecond: 0 }),
  ],
  [
    "the contact sends not judged",
    (r) => Object.assign(r, { targets: Array.isArray(r.targets) ? r.targets.filter(without("contact-sends")) : [] }),
  ],
  ["the contact sizes missing", (r) => Reflect.deleteProperty(at(r, "config"), "contactSizes")],
  ["the broadcast missing", (r) => delete r.broadcast],
  ["a broadcast that sent nothing", (r) => Object.assign(at(r, "broadcast"), { accepted: 0 })],
  ["a broadcast with no replies meanwhile", (r) => Object.assign(at(r, "broadcast", "echo"), { answered: 0 })],
  [
    "the broadcast not judged",
    (r) => Object.assign(r, { targets: Array.isArray(r.targets) ? r.targets.filter(without("broadcast-rate")) : [] }),
  ],
  ["the broadcast sizes missing", (r) => Reflect.deleteProperty(at(r, "config"), "broadcastSizes")],
  ["the queue heads missing", (r) => delete r.queueHeads],
  ["a way of choosing heads never timed", (r) => Object.assign(at(r, "queueHeads", "runs", 0, "large"), { old: 0 })],
  [
    "a way of choosing heads that chose nothing",
    (r) => Object.assign(at(r, "queueHeads", "setup", "picked", "small"), { heads: 0 }),
  ],
  [
    "the queue heads not judged",
    (r) => Object.assign(r, { targets: Array.isArray(r.targets) ? r.targets.filter(without("queue-heads")) : [] }),
  ],
  ["the registry writes missing", (r) => delete r.registryWrites],
  ["registry hubs that wrote nothing", (r) => Object.assign(at(r, "registryWrites"), { after: 0 })],
  ["bots that reported nothing", (r) => Object.assign(at(r, "registryWrites"), { before: 0 })],
  ["the registry's counts not in D1", (r) => Object.assign(at(r, "registryWrites", "d1"), { inbound: 0 })],
  [
    "the registry writes not judged",
    (r) => Object.assign(r, { targets: Array.isArray(r.targets) ? r.targets.filter(without("registry-writes")) : [] }),
  ],
  ["the registry writes sizes missing", (r) => Reflect.deleteProperty(at(r, "config"), "registryWritesSizes")],
  [
    "the end-to-end time to 2xx not judged",
    (r) => Object.assign(r, { targets: Array.isArray(r.targets) ? r.targets.filter(without("e2e-ack")) : [] }),
  ],
  ["the reply latency missing", (r) => delete r.latency],
  ["a latency target whose replies never came", (r) => Object.assign(at(r, "latency", "grammy"), { replies: 0 })],
  [
    "the reply latency not judged",
    (r) => Object.assign(r, { targets: Array.isArray(r.targets) ? r.targets.filter(without("latency-")) : [] }),
  ],
  ["the latency sizes missing", (r) => Reflect.deleteProperty(at(r, "config"), "latencySizes")],
  ["the cold bots missing", (r) => delete r.cold],
  ["cold webhooks never timed", (r) => Object.assign(at(r, "cold", "cold"), { webhooks: 0 })],
  ["warm webhooks never timed", (r) => Object.assign(at(r, "cold", "warm"), { webhooks: 0 })],
  [
    "the cold bots not judged",
    (r) => Object.assign(r, { targets: Array.isArray(r.targets) ? r.targets.filter(without("cold-vs-warm")) : [] }),
  ],
]

/** A partial file (`--only queue-heads`) with one thing broken: each must fail the partial schema. */
const brokenPartial: [string, (r: Record<string, unknown>) => void][] = [
  ["the named section missing", (r) => delete r.queueHeads],
  ["a section of a scenario not named", (r) => Object.assign(r, { only: ["pacing"] })],
  ["no scenario named", (r) => Object.assign(r, { only: [] })],
  ["an unknown scenario named", (r) => Object.assign(r, { only: ["queue-heads", "nope"] })],
  ["its target not judged", (r) => Object.assign(r, { targets: [] })],
]

const without = (word: string) => (t: unknown) =>
  !(typeof t === "object" && t !== null && "id" in t && String(t.id).includes(word))

function at(v: unknown, ...path: (string | number)[]): object {
  const found = path.reduce<unknown>((cur, key) => (typeof cur === "object" && cur ? Reflect.get(cur, key) : cur), v)
  assert.ok(typeof found === "object" && found !== null, `no object at ${path.join(".")}`)
  return found
}

test("the bench runs every scenario (and the handlers-off ingest) and writes results that parse with the schema", () => {
  const dir = mkdtempSync(join(tmpdir(), "switchboard-bench-smoke-"))
  try {
    const out = join(dir, "results.json")
    const run = spawnSync(
      process.execPath,
      [join(import.meta.dirname, "run.ts"), "--smoke", "--handlers-off", "--out", out],
      { encoding: "utf8", timeout: 360_000 },
    )
    assert.equal(run.status, 0, `bench --smoke exited ${run.status}:\n${run.stderr.slice(-2000)}`)
    assert.match(run.stdout, /^Targets$/m, "the table was printed")
    assert.match(run.stdout, /^10\. Reply latency/m, "the reply latency section was printed")
    assert.match(run.stdout, /^11\. Cold bots/m, "the cold bots section was printed")
    assert.match(run.stdout, /handlers off \(bots' alarms off/, "the handlers-off ingest was printed")
    const text = readFileSync(out, "utf8")
    const parsed = resultsSchema.safeParse(JSON.parse(text))
    assert.ok(parsed.success, parsed.error && z.prettifyError(parsed.error))
    assert.equal(parsed.data.schema, SCHEMA)
    const off = parsed.data.scale.handlersOff
    assert.ok(
      off?.runs.every((r) => r.target === "handlers-off" && r.ok > 0 && r.repliesSent === 0),
      "handlers off",
    )
    assert.ok(parsed.data.scale.cpuOverFloor && parsed.data.scale.cpuHandlersOffOverFloor, "CPU ratios to the floor")
    assert.ok(
      parsed.data.ingest.every(
        (i) =>
          i.handlersOffOverFloor &&
          i.handlersOff?.runs.every(
            (r) => r.target === "handlers-off" && r.bots === 1 && r.ok > 0 && r.repliesSent === 0,
          ),
      ),
      "one bot's ingest with handlers off, beside the floor worker",
    )
    assert.ok(
      parsed.data.ingest.every(
        (i) => i.inTurns && i.inTurns.failed === 0 && i.inTurns.handlersOff.min > 0 && i.inTurns.floor.min > 0,
      ) && parsed.data.config.floorPairSizes,
      "the same in alternating turns, both up at once",
    )
    assert.match(run.stdout, /in alternating turns, both up at once/, "the turns were printed")
    assert.match(run.stdout, /handlers off\/floor/, "its ratio to the floor worker was printed")
    assert.match(run.stdout, /the same webhooks to the floor worker/, "the end-to-end ack floor was printed")
    assert.ok(
      parsed.data.e2e.ackFloor?.runs.every((r) => r.delivered > 0) && parsed.data.e2e.ackP99OverFloor,
      "the end-to-end webhooks against the floor worker",
    )
    for (const [what, breakIt] of broken) {
      const results = JSON.parse(text)
      breakIt(results)
      assert.equal(resultsSchema.safeParse(results).success, false, `the schema accepted ${what}`)
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test("--only runs the scenarios named and writes a partial file that parses with its schema", () => {
  const dir = mkdtempSync(join(tmpdir(), "switchboard-bench-smoke-only-"))
  try {
    const out = join(dir, "results.json")
    const run = spawnSync(
      process.execPath,
      [join(import.meta.dirname, "run.ts"), "--smoke", "--only", "queue-heads", "--out", out],
      { encoding: "utf8", timeout: 120_000 },
    )
    assert.equal(run.status, 0, `bench --smoke --only exited ${run.status}:\n${run.stderr.slice(-2000)}`)
    assert.match(run.stdout, /^8\. Queue heads/m, "its section was printed")
    assert.match(run.stdout, /^Targets$/m, "the targets were printed")
    const text = readFileSync(out, "utf8")
    const parsed = partialResultsSchema.safeParse(JSON.parse(text))
    assert.ok(parsed.success, parsed.error && z.prettifyError(parsed.error))
    assert.deepEqual(parsed.data.only, ["queue-heads"])
    assert.equal(resultsSchema.safeParse(JSON.parse(text)).success, false, "a partial file is not a full one")
    for (const [what, breakIt] of brokenPartial) {
      const results = JSON.parse(text)
      breakIt(results)
      assert.equal(partialResultsSchema.safeParse(results).success, false, `the partial schema accepted ${what}`)
    }
    const unknown = spawnSync(process.execPath, [join(import.meta.dirname, "run.ts"), "--only", "nope"], {
      encoding: "utf8",
      timeout: 60_000,
    })
    assert.equal(unknown.status, 2, "an unknown scenario is refused before anything runs")
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
