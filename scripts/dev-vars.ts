// One variable for the scripts that talk to a local `npm run dev` (`npm run token`, `npm run sim`): from the
// environment, else from .dev.vars (which `npm run dev` writes on its first run).
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"

export const devVarsPath = join(import.meta.dirname, "..", ".dev.vars")

export function devVar(name: string): string | undefined {
  const fromEnv = process.env[name]
  if (fromEnv) return fromEnv
  if (!existsSync(devVarsPath)) return undefined
  const match = new RegExp(`^${name}\\s*=\\s*"?([^"\\n]*)"?`, "m").exec(readFileSync(devVarsPath, "utf8"))
  return match?.[1] || undefined
}
