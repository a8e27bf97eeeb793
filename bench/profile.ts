// `--profile`: samples the worker's V8 isolate through workerd's inspector (Chrome DevTools protocol) while a run
// goes, saves the .cpuprofile (open it in Chrome DevTools) and sums self time by function and by source file.
import { readFileSync, writeFileSync } from "node:fs"

interface CallFrame {
  functionName: string
  url: string
  lineNumber: number
}

interface ProfileNode {
  id: number
  callFrame: CallFrame
}

interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

export interface Hotspot {
  name: string
  /** Source file of the bundle's module the function came from (esbuild's `// path` markers). */
  file: string
  selfPct: number
}

export interface ProfileSummary {
  file: string
  sampledMs: number
  byFunction: Hotspot[]
  byFile: { file: string; selfPct: number }[]
}

function isProfile(v: unknown): v is CpuProfile {
  return (
    typeof v === "object" &&
    v !== null &&
    "nodes" in v &&
    Array.isArray(v.nodes) &&
    "samples" in v &&
    Array.isArray(v.samples) &&
    "timeDeltas" in v &&
    Array.isArray(v.timeDeltas)
  )
}

/** One DevTools-protocol session on a WebSocket; `send` resolves with the command's result. */
async function session(url: string) {
  const ws = new WebSocket(url)
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener("open", () => resolve(), { once: true })
    ws.addEventListener("error", () => reject(new Error(`inspector: cannot connect to ${url}`)), { once: true })
  })
  let next = 1
  const waiting = new Map<number, (result: unknown) => void>()
  ws.addEventListener("message", (event) => {
    const msg: unknown = JSON.parse(String(event.data))
    if (typeof msg === "object" && msg !== null && "id" in msg && typeof msg.id === "number") {
      waiting.get(msg.id)?.("result" in msg ? msg.result : undefined)
      waiting.delete(msg.id)
    }
  })
  return {
    send: (method: string, params: Record<string, unknown> = {}) =>
      new Promise<unknown>((resolve) => {
        const id = next++
        waiting.set(id, resolve)
        ws.send(JSON.stringify({ id, method, params }))
      }),
    close: () => ws.close(),
  }
}

/** Bundle line -> source file, from the `// src/...` comments esbuild writes before each module. */
function moduleMap(bundlePath: string): (line: number) => string {
  const starts: { line: number; file: string }[] = []
  readFileSync(bundlePath, "utf8")
    .split("\n")
    .forEach((text, line) => {
      const m = /^\/\/ ((?:src|node_modules)\/\S+)$/.exec(text)
      if (m?.[1]) starts.push({ line, file: m[1].replace(/^node_modules\/((?:@[^/]+\/)?[^/]+)\/.*$/, "$1") })
    })
  return (line) => {
    let file = "(runtime)"
    for (const s of starts) {
      if (s.line > line) break
      file = s.file
    }
    return file
  }
}

/** Profiles the `core:user:` isolate (our worker and its Durable Objects) while `during` runs. */
export async function profiled<T>(
  inspectorUrl: string,
  bundlePath: string,
  outFile: string,
  during: () => Promise<T>,
): Promise<{ result: T; summary: ProfileSummary }> {
  const s = await session(`${inspectorUrl.replace(/\/$/, "")}/core:user:`)
  await s.send("Profiler.enable")
  await s.send("Profiler.setSamplingInterval", { interval: 200 })
  await s.send("Profiler.start")
  const result = await during()
  const stopped = await s.send("Profiler.stop")
  s.close()
  const profile = typeof stopped === "object" && stopped !== null && "profile" in stopped ? stopped.profile : undefined
  if (!isProfile(profile)) throw new Error("inspector: Profiler.stop returned no profile")
  writeFileSync(outFile, JSON.stringify(profile))
  const fileOf = moduleMap(bundlePath)
  const self = new Map<number, number>()
  profile.samples.forEach((node, i) => {
    self.set(node, (self.get(node) ?? 0) + (profile.timeDeltas[i] ?? 0))
  })
  const total = [...self.values()].reduce((a, b) => a + b, 0)
  const fns = new Map<string, Hotspot>()
  const files = new Map<string, number>()
  for (const node of profile.nodes) {
    const us = self.get(node.id) ?? 0
    if (us === 0) continue
    const f = node.callFrame
    const file = f.url === "" ? "(native)" : fileOf(f.lineNumber)
    const name = f.functionName || "(anonymous)"
    const key = `${name}\u0000${file}\u0000${f.lineNumber}`
    const spot = fns.get(key) ?? { name: `${name}:${f.lineNumber + 1}`, file, selfPct: 0 }
    spot.selfPct += (100 * us) / total
    fns.set(key, spot)
    files.set(file, (files.get(file) ?? 0) + (100 * us) / total)
  }
  const pct = (n: number) => Math.round(n * 10) / 10
  return {
    result,
    summary: {
      file: outFile,
      sampledMs: Math.round(total / 1000),
      byFunction: [...fns.values()]
        .sort((a, b) => b.selfPct - a.selfPct)
        .slice(0, 25)
        .map((h) => ({ ...h, selfPct: pct(h.selfPct) })),
      byFile: [...files.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 20)
        .map(([file, p]) => ({ file, selfPct: pct(p) })),
    },
  }
}
