#!/usr/bin/env node
// `curl ... | node scripts/pick.mjs bot.id`: shows a JSON answer (on stderr) and prints one field of it (on stdout), so
// the README's commands keep an id instead of having it copied by hand (jq is not on every machine; node is). When the
// field is missing (an error answer) it says so and exits 1. Plain JavaScript: the shell's own node runs it.
const path = process.argv[2]
if (!path) {
  console.error("usage: <command printing JSON> | node scripts/pick.mjs <field.path, e.g. bot.id>")
  process.exit(2)
}
let text = ""
process.stdin.setEncoding("utf8")
for await (const chunk of process.stdin) text += chunk
process.stderr.write(text.endsWith("\n") ? text : `${text}\n`)
let value
try {
  value = path
    .split(".")
    .reduce((o, key) => (o !== null && typeof o === "object" ? o[key] : undefined), JSON.parse(text))
} catch {
  value = undefined
}
if (value === undefined || value === null || typeof value === "object") {
  console.error(`pick: the answer above has no ${path}`)
  process.exit(1)
}
console.log(String(value))
