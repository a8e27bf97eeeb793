// `npm run bench:smoke`: the bench starts, runs every scenario with tiny sizes (about a minute), writes its JSON, and
// the JSON reads back as the results bench/report.ts describes. Figures are not judged: a smoke run proves the
// plumbing, not the speed. Not part of `npm test` (it starts a dozen workerd and Node processes).
import assert from "node:assert/strict"
import { spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { test } from "node:test"
import { SCHEMA, validate } from "./report.ts"

test("the bench runs every scenario and writes results that validate", () => {
  const dir = mkdtempSync(join(tmpdir(), "switchboard-bench-smoke-"))
  try {
    const out = join(dir, "results.json")
    const run = spawnSync(process.execPath, [join(import.meta.dirname, "run.ts"), "--smoke", "--out", out], {
      encoding: "utf8",
      timeout: 240_000,
    })
    assert.equal(run.status, 0, `bench --smoke exited ${run.status}:\n${run.stderr.slice(-2000)}`)
    assert.match(run.stdout, /^Targets$/m, "the table was printed")
    const results: unknown = JSON.parse(readFileSync(out, "utf8"))
    assert.deepEqual(validate(results), [])
    assert.equal(typeof results === "object" && results !== null && "schema" in results ? results.schema : "", SCHEMA)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
