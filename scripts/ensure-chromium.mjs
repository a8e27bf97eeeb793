#!/usr/bin/env node
// Before the browser tests: make sure Debian's Chromium is there, installing it with apt-get when running as root.
import { spawnSync } from "node:child_process"
import { existsSync } from "node:fs"

const DEFAULT = "/usr/bin/chromium"
const INSTALL = "apt-get update && apt-get install -y chromium"

/** @param {string} message */
function fail(message) {
  console.error(`[ensure-chromium] ${message}`)
  process.exit(1)
}

const override = process.env.CHROMIUM_PATH
if (override) {
  if (!existsSync(override)) fail(`CHROMIUM_PATH=${override} does not exist: fix it, or unset it to use ${DEFAULT}`)
  process.exit(0)
}
if (existsSync(DEFAULT)) process.exit(0)

const hasAptGet = spawnSync("sh", ["-c", "command -v apt-get"], { stdio: "ignore" }).status === 0
const isRoot = process.getuid?.() === 0
if (!hasAptGet) fail(`Chromium not found at ${DEFAULT} and no apt-get here: install Chromium, or set CHROMIUM_PATH`)
if (!isRoot) fail(`Chromium not found at ${DEFAULT}: run \`sudo ${INSTALL.replace("&& ", "&& sudo ")}\``)

console.log(`[ensure-chromium] Chromium not found at ${DEFAULT}: installing Debian's chromium with apt-get…`)
const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" }
// Wait for another apt/dpkg run (up to 5 minutes) rather than failing on its lock.
const lock = ["-o", "DPkg::Lock::Timeout=300"]
for (const args of [
  ["update", "-qq", ...lock],
  ["install", "-y", "-qq", ...lock, "chromium"],
]) {
  const r = spawnSync("apt-get", args, { env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })
  if (r.status !== 0) {
    process.stderr.write(`${r.stdout ?? ""}${r.stderr ?? ""}`.slice(-3000))
    fail(`\`apt-get ${args.join(" ")}\` failed (exit ${r.status ?? r.signal}): run \`${INSTALL}\` by hand`)
  }
}
if (!existsSync(DEFAULT)) fail(`apt-get installed chromium but ${DEFAULT} is still missing`)
