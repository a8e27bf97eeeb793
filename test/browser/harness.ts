// What every browser test file shares: the local stack (stack.ts) and Debian's Chromium driven by playwright-core, one
// page that records what must never happen (a request to another origin, a page error, a Content-Security-Policy
// violation), screenshots at desktop and phone widths, the dev sign-in, the page's token, a fetch to the API with it,
// and the closing checks. A file makes one session, opens it in beforeAll and closes it in afterAll:
//
//   const session = createSession({ acceptDownloads: true })
//   const { shoot, devSignIn, api } = session
//   let stack: Stack
//   let page: Page
//   beforeAll(async () => ({ stack, page } = await session.open()))
//   afterAll(() => session.close())
import { existsSync, mkdirSync, statSync } from "node:fs"
import { join } from "node:path"
import { type Browser, chromium, type Locator, type Page, type Request } from "playwright-core"
import { expect } from "vitest"
import { type Stack, startStack } from "./stack.ts"

/** Where page screenshots go (git-ignored); CI only checks that they are produced. */
const SCREENSHOTS = join(import.meta.dirname, "..", "..", "screenshots")
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium"
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
]
const DESKTOP = { width: 1280, height: 900 }
const WIDTHS = [
  ["desktop", DESKTOP.width, DESKTOP.height],
  ["phone", 390, 844],
] as const

export type Role = "owner" | "viewer"

export interface SessionOptions {
  /** Whether the page may download files (what `page.waitForEvent("download")` waits for); Playwright's default unless told. */
  acceptDownloads?: boolean
  /** Schemes that count as this origin besides data: (blob: for a file the page builds itself). */
  alsoLocal?: string[]
  /** A file's own recorder: sees every request the page makes, after the other-origin check. */
  onRequest?: (request: Request, stack: Stack) => void
  /** How `shoot` takes its screenshots. */
  shots?: {
    /** Also at phone width (the default); without, one desktop screenshot of the page as it is. */
    phone?: boolean
    /** How long the page may redraw (charts at the new width) after each resize: 120 ms unless told. */
    settleMs?: number
    /** Wait until no toast covers the page first (the default). */
    waitForToast?: boolean
  }
}

/** How many screenshots the file's tests must have written. */
export type ShotCount = { exactly: number } | { atLeast: number }

export interface Session {
  /** Starts the stack and the browser, and opens the page (beforeAll). */
  open(): Promise<{ stack: Stack; page: Page }>
  /** Closes the browser and stops the stack (afterAll). */
  close(): Promise<void>
  /** What the Content-Security-Policy blocked (securitypolicyviolation events, on any page): must stay empty. */
  readonly cspViolations: string[]
  /** Screenshots of the page, from its top, as `screenshots/{name}-{desktop,phone}.png`. */
  shoot(name: string): Promise<void>
  /** Signs in from a fresh tab session with the sign-in page's dev button, and waits for the integrations list. */
  devSignIn(role: Role): Promise<void>
  /** The API token the page holds (`""` signed out). */
  token(): Promise<string>
  /** A request to the API with the page's token (or `bearer`): its status and JSON body (`null` for a 204). */
  api<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    bearer?: string,
  ): Promise<{ status: number; body: T }>
  /** A link of the header's navigation (pages also link elsewhere with the same names). */
  nav(name: string): Locator
  /** The closing checks: nothing fetched from another origin, no page error, no CSP violation, the screenshots. */
  assertClean(screenshots: ShotCount): void
}

export function createSession(options: SessionOptions = {}): Session {
  const { phone = true, settleMs = 120, waitForToast = true } = options.shots ?? {}
  const localPrefixes = ["data:", ...(options.alsoLocal ?? [])]
  let stack: Stack | undefined
  let browser: Browser | undefined
  let page: Page | undefined
  const shots: string[] = []
  /** Anything the page fetched from another origin: the dashboard must work offline (no CDN). */
  const foreignRequests: string[] = []
  const pageErrors: string[] = []
  const cspViolations: string[] = []

  const opened = () => {
    if (!stack || !page) throw new Error("the browser session is not open: call session.open() in beforeAll")
    return { stack, page }
  }

  async function screenshot(file: string) {
    await opened().page.screenshot({ path: file, fullPage: true })
    shots.push(file)
  }

  async function token() {
    return opened().page.evaluate(() => sessionStorage.getItem("switchboard.token") ?? "")
  }

  return {
    cspViolations,

    async open() {
      if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: node scripts/ensure-chromium.mjs`)
      mkdirSync(SCREENSHOTS, { recursive: true })
      const started = await startStack()
      stack = started
      browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
      const { acceptDownloads } = options
      const p = await browser.newPage({
        viewport: DESKTOP,
        ...(acceptDownloads === undefined ? {} : { acceptDownloads }),
      })
      page = p
      p.setDefaultTimeout(10_000)
      p.on("request", (r) => {
        const url = r.url()
        if (!url.startsWith(started.url) && !localPrefixes.some((prefix) => url.startsWith(prefix)))
          foreignRequests.push(url)
        options.onRequest?.(r, started)
      })
      p.on("pageerror", (e) => pageErrors.push(e.message))
      await p.exposeFunction("reportCspViolation", (v: string) => cspViolations.push(v))
      await p.addInitScript(() => {
        const report = (window as unknown as { reportCspViolation: (v: string) => void }).reportCspViolation
        document.addEventListener(
          "securitypolicyviolation",
          (e) =>
            report(`${e.effectiveDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`),
          true,
        )
      })
      return { stack: started, page: p }
    },

    async close() {
      await browser?.close()
      await stack?.stop()
    },

    async shoot(name) {
      const { page } = opened()
      // A toast from the previous step would cover the page; screenshots start from the top.
      if (waitForToast)
        await page.waitForFunction(() => !document.querySelector(".toast.show"), undefined, { timeout: 4_000 })
      await page.evaluate(() => window.scrollTo(0, 0))
      if (!phone) return screenshot(join(SCREENSHOTS, `${name}-desktop.png`))
      for (const [label, width, height] of WIDTHS) {
        await page.setViewportSize({ width, height })
        await page.waitForTimeout(settleMs) // the charts redraw at the new width
        await screenshot(join(SCREENSHOTS, `${name}-${label}.png`))
      }
      await page.setViewportSize(DESKTOP)
    },

    async devSignIn(role) {
      const { page, stack } = opened()
      await page.goto(`${stack.url}/#/signin`)
      await page.evaluate(() => sessionStorage.clear())
      await page.goto(`${stack.url}/#/signin`)
      await page.getByRole("button", { name: `Dev sign-in as ${role}` }).click()
      await page.getByRole("heading", { name: "Messaging Integrations" }).waitFor()
    },

    token,

    async api<T>(method: string, path: string, body?: unknown, bearer?: string) {
      const res = await fetch(`${opened().stack.url}${path}`, {
        method,
        headers: { Authorization: `Bearer ${bearer ?? (await token())}`, "Content-Type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
      return { status: res.status, body: (res.status === 204 ? null : await res.json()) as T }
    },

    nav(name) {
      return opened().page.getByRole("navigation", { name: "Main" }).getByRole("link", { name, exact: true })
    },

    assertClean(screenshots) {
      expect(foreignRequests).toEqual([])
      expect(pageErrors).toEqual([])
      expect(cspViolations).toEqual([])
      if ("exactly" in screenshots) expect(shots.length).toBe(screenshots.exactly)
      else expect(shots.length).toBeGreaterThanOrEqual(screenshots.atLeast)
      for (const file of shots) expect(statSync(file).size).toBeGreaterThan(5_000)
    },
  }
}
