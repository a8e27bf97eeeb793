#!/usr/bin/env node
// `npm run token -- [--business demo] [--role admin] [--ttl 86400] [--sub you]`: prints an HS256 JWT signed with
// JWT_SECRET from the environment or .dev.vars, for curl sessions against `npm run dev`. Minted by src/auth/sign.ts,
// the worker's own signer. The default business is `demo`, the one the dashboard's dev sign-in opens, so what curl
// creates shows up there.
import { parseArgs } from "node:util"
import { signToken, type TokenClaims } from "../src/auth/sign.ts"
import { devVar } from "./dev-vars.ts"

const usage = "usage: npm run token -- [--business demo] [--role owner|admin|viewer] [--ttl seconds] [--sub subject]"
let values: { business: string; role: string; ttl: string; sub?: string | undefined }
try {
  values = parseArgs({
    options: {
      business: { type: "string", default: "demo" },
      role: { type: "string", default: "admin" },
      sub: { type: "string" },
      ttl: { type: "string", default: "86400" },
    },
  }).values
} catch (err) {
  console.error(`${err instanceof Error ? err.message : err}\n${usage}`)
  process.exit(2)
}
const roles: readonly string[] = ["owner", "admin", "viewer"] satisfies TokenClaims["role"][]
const isRole = (r: string): r is TokenClaims["role"] => roles.includes(r)
const role = values.role
if (!isRole(role)) {
  console.error(`--role must be owner, admin or viewer\n${usage}`)
  process.exit(2)
}
const ttl = Number(values.ttl)
if (!Number.isInteger(ttl) || ttl <= 0) {
  console.error("--ttl must be a positive number of seconds")
  process.exit(2)
}
const secret = devVar("JWT_SECRET")
if (!secret) {
  console.error("No JWT_SECRET: run `npm run dev` once (it creates .dev.vars) or set JWT_SECRET")
  process.exit(1)
}
const claims: TokenClaims = { sub: values.sub ?? `${role}@${values.business}`, business_id: values.business, role }
console.log(await signToken(claims, secret, ttl))
