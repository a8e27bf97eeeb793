// @ts-check
// The registered platforms, as GET /api/platforms describes them: names, credential fields with their labels and help.
// Fetched once and shared by every page, so the dashboard holds no per-platform tables: a new provider on the server
// shows up here with its own name and form.
import { api } from "./api.js"
import { h } from "./ui.js"

/** @typedef {import("./api.js").PlatformSpec} PlatformSpec */

/** @type {Promise<PlatformSpec[]> | null} */
let pending = null
/** @type {Map<string, PlatformSpec>} */
const known = new Map()

/**
 * Every registered platform, in the server's order. The first call fetches; later calls share that answer (a failed
 * fetch is forgotten, so the next page tries again).
 * @returns {Promise<PlatformSpec[]>}
 */
export function loadPlatforms() {
  if (!pending) {
    const request = api.platforms().then(({ platforms }) => {
      for (const p of platforms) known.set(p.platform, p)
      return platforms
    })
    request.catch(() => {
      if (pending === request) pending = null
    })
    pending = request
  }
  return pending
}

/**
 * The platform's human name; its key until `loadPlatforms` has answered (or for a platform the server no longer has).
 * @param {string} platform
 */
export const platformName = (platform) => known.get(platform)?.displayName ?? platform

/**
 * A stable hue from the platform key (FNV-1a, 24 steps), so each platform keeps its own badge colour without a table.
 * @param {string} platform
 */
function hue(platform) {
  let hash = 0x811c9dc5
  for (const ch of platform) hash = Math.imul(hash ^ (ch.codePointAt(0) ?? 0), 0x01000193) >>> 0
  return (hash % 24) * 15
}

/** @param {string} platform */
export const platformBadge = (platform) =>
  h(
    "span",
    { class: "badge platform", "data-platform": platform, style: `--platform-hue: ${hue(platform)}` },
    platformName(platform),
  )
