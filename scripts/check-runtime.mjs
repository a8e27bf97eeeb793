// `npm test` runs this first: the tests, `npm run dev` and `wrangler deploy` must use one wrangler, one miniflare and
// one workerd. The test plugin pins its own wrangler and miniflare; the project's wrangler must be that same version,
// so npm installs a single copy of each (a second copy would mean the tests run another runtime than dev and deploy).
import { readFileSync } from "node:fs"

const manifest = (name) => JSON.parse(readFileSync(new URL(`../node_modules/${name}/package.json`, import.meta.url)))
const plugin = manifest("@cloudflare/vitest-plugin")
const wrangler = manifest("wrangler")
const problems = []
if (plugin.dependencies.wrangler !== wrangler.version)
  problems.push(`wrangler ${wrangler.version}, but @cloudflare/vitest-plugin pins ${plugin.dependencies.wrangler}`)
if (plugin.dependencies.miniflare !== wrangler.dependencies.miniflare)
  problems.push(
    `wrangler uses miniflare ${wrangler.dependencies.miniflare}, the test plugin ${plugin.dependencies.miniflare}`,
  )
const miniflare = manifest("miniflare")
if (miniflare.dependencies.workerd !== wrangler.dependencies.workerd)
  problems.push(`wrangler uses workerd ${wrangler.dependencies.workerd}, miniflare ${miniflare.dependencies.workerd}`)
if (problems.length > 0) {
  console.error(`One runtime for tests, dev and deploy: ${problems.join("; ")}.`)
  console.error("Set package.json's wrangler to the version @cloudflare/vitest-plugin pins, then npm install.")
  process.exit(1)
}
console.log(
  `runtime: wrangler ${wrangler.version}, miniflare ${miniflare.version}, workerd ${wrangler.dependencies.workerd}`,
)
