#!/usr/bin/env node
// `npm run token -- --business acme --role admin [--ttl 86400] [--sub you]`: prints an HS256 JWT signed with
// JWT_SECRET from the environment or .dev.vars, for curl sessions against `npm run dev`. Minted by src/auth/sign.ts,
// the worker's own signer.
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { parseArgs } from "node:util"
import { signToken, type TokenClaims } from "../src/auth/sign.ts"

const { values } = parseArgs({
  options: {
    business: { type: "string", default: "acme" },
    role: { type: "string", default: "admin" },
    sub: { type: "string" },
    ttl: { type: "string", default: "86400" },
  },
})
const roles: readonly string[] = ["owner", "admin", "viewer"] satisfies TokenClaims["role"][]
const isRole = (r: string): r is TokenClaims["role"] => roles.includes(r)
if (!isRole(values.role)) {
  console.error("--role must be owner, admin or viewer")
  process.exit(2)
}
const ttl = Number(values.ttl)
if (!Number.isInteger(ttl) || ttl <= 0) {
  console.error("--ttl must be a positive number of seconds")
  process.exit(2)
}
let secret = process.env.JWT_SECRET
const varsPath = join(import.meta.dirname, "..", ".dev.vars")
if (!secret && existsSync(varsPath)) {
  const match = /^JWT_SECRET\s*=\s*"?([^"\n]+)"?/m.exec(readFileSync(varsPath, "utf8"))
  secret = match?.[1]
}
if (!secret) {
  console.error("No JWT_SECRET: run `npm run dev` once (it creates .dev.vars) or set JWT_SECRET")
  process.exit(1)
}
const claims = {
  sub: values.sub ?? `${values.role}@${values.business}`,
  business_id: values.business,
  role: values.role,
}
console.log(await signToken(claims, secret, ttl))
