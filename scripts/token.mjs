#!/usr/bin/env node
// `npm run token -- --business acme --role admin [--ttl 86400] [--sub you]`: prints an HS256 JWT signed with
// JWT_SECRET from the environment or .dev.vars, for curl sessions against `npm run dev`.
import { createHmac } from "node:crypto"
import { existsSync, readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { parseArgs } from "node:util"

const { values } = parseArgs({
  options: {
    business: { type: "string", default: "acme" },
    role: { type: "string", default: "admin" },
    sub: { type: "string" },
    ttl: { type: "string", default: "86400" },
  },
})
if (!["owner", "admin", "viewer"].includes(values.role)) {
  console.error("--role must be owner, admin or viewer")
  process.exit(2)
}
const root = join(dirname(fileURLToPath(import.meta.url)), "..")
let secret = process.env.JWT_SECRET
const varsPath = join(root, ".dev.vars")
if (!secret && existsSync(varsPath)) {
  const match = /^JWT_SECRET\s*=\s*"?([^"\n]+)"?/m.exec(readFileSync(varsPath, "utf8"))
  secret = match?.[1]
}
if (!secret) {
  console.error("No JWT_SECRET: run `npm run dev` once (it creates .dev.vars) or set JWT_SECRET")
  process.exit(1)
}
const b64 = (obj) => Buffer.from(JSON.stringify(obj)).toString("base64url")
const claims = {
  sub: values.sub ?? `${values.role}@${values.business}`,
  business_id: values.business,
  role: values.role,
  iat: Math.floor(Date.now() / 1000),
  exp: Math.floor(Date.now() / 1000) + Number(values.ttl),
}
const unsigned = `${b64({ alg: "HS256", typ: "JWT" })}.${b64(claims)}`
const signature = createHmac("sha256", secret).update(unsigned).digest("base64url")
console.log(`${unsigned}.${signature}`)
