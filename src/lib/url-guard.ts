/**
 * Which URLs a business may point a handler at: public HTTPS hosts only, so a forward or AI handler can never be
 * turned into a probe of the network the worker runs in (SSRF). Checked when the URL is saved and again before
 * each call, on the URL as the WHATWG parser normalizes it (decimal, hex and short IPv4 forms become dotted quads).
 */

export type UrlVerdict = { ok: true; url: URL } | { ok: false; reason: string }

export interface UrlPolicy {
  /** Local development: plain `http:` to a loopback address is allowed (the fakes listen there). */
  allowLoopbackHttp: boolean
}

/** Refuses anything but `https:` to a public host; see `UrlPolicy` for the one local exception. */
export function checkOutboundUrl(raw: string, policy: UrlPolicy): UrlVerdict {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return { ok: false, reason: "is not a valid URL" }
  }
  if (url.username !== "" || url.password !== "")
    return { ok: false, reason: "must not contain a user name or password" }
  const host = url.hostname.toLowerCase()
  const loopback = isLoopbackHost(host)
  if (policy.allowLoopbackHttp && loopback && url.protocol === "http:") return { ok: true, url }
  if (url.protocol !== "https:") return { ok: false, reason: "must use https:" }
  if (loopback || host === "localhost" || host.endsWith(".localhost"))
    return { ok: false, reason: "must not point at this machine (localhost or a loopback address)" }
  const ip = parseIpLiteral(host)
  if (ip && !isPublic(ip)) return { ok: false, reason: "must not point at a private, link-local or reserved address" }
  return { ok: true, url }
}

function isLoopbackHost(host: string): boolean {
  if (host === "localhost") return true
  const ip = parseIpLiteral(host)
  if (!ip) return false
  if (ip.v === 4) return ip.bytes[0] === 127
  const v4 = embeddedV4(ip.bytes)
  return v4 ? v4[0] === 127 : ip.bytes.every((b, i) => b === (i === 15 ? 1 : 0))
}

type Ip = { v: 4; bytes: number[] } | { v: 6; bytes: number[] }

/** An IP literal as `URL.hostname` gives it (`1.2.3.4`, `[::1]`), or null for a name. */
export function parseIpLiteral(host: string): Ip | null {
  if (host.startsWith("[") && host.endsWith("]")) {
    const bytes = parseV6(host.slice(1, -1))
    return bytes ? { v: 6, bytes } : null
  }
  const parts = host.split(".")
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return null
  return { v: 4, bytes: parts.map(Number) }
}

function parseV6(text: string): number[] | null {
  const halves = text.split("::")
  if (halves.length > 2) return null
  const groups = (part: string | undefined): number[] | null => {
    if (!part) return []
    const out: number[] = []
    for (const g of part.split(":")) {
      if (g.includes(".")) {
        const v4 = parseIpLiteral(g)
        if (v4?.v !== 4) return null
        const [a = 0, b = 0, c = 0, d = 0] = v4.bytes
        out.push((a << 8) | b, (c << 8) | d)
      } else if (/^[0-9a-f]{1,4}$/i.test(g)) out.push(Number.parseInt(g, 16))
      else return null
    }
    return out
  }
  const head = groups(halves[0])
  const tail = groups(halves[1])
  if (!head || !tail) return null
  const fill = 8 - head.length - tail.length
  if (halves.length === 1 ? fill !== 0 : fill < 1) return null
  const all = [...head, ...Array<number>(Math.max(0, fill)).fill(0), ...tail]
  return all.flatMap((g) => [g >> 8, g & 0xff])
}

/** The IPv4 address inside an IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d) or NAT64 (64:ff9b::/96) one. */
function embeddedV4(b: number[]): number[] | null {
  const zeros = (from: number, to: number) => b.slice(from, to).every((x) => x === 0)
  const mapped = zeros(0, 10) && b[10] === 0xff && b[11] === 0xff
  const compatible = zeros(0, 12) && !(zeros(12, 15) && (b[15] ?? 0) <= 1)
  const nat64 = b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zeros(4, 12)
  return mapped || compatible || nat64 ? b.slice(12, 16) : null
}

function isPublic(ip: Ip): boolean {
  if (ip.v === 4) return isPublicV4(ip.bytes)
  const v4 = embeddedV4(ip.bytes)
  if (v4) return isPublicV4(v4)
  const [b0 = 0, b1 = 0] = ip.bytes
  if (ip.bytes.every((x) => x === 0)) return false // ::
  if ((b0 & 0xfe) === 0xfc) return false // fc00::/7 unique local
  if (b0 === 0xfe && (b1 & 0xc0) === 0x80) return false // fe80::/10 link-local
  if (b0 === 0xfe && (b1 & 0xc0) === 0xc0) return false // fec0::/10 old site-local
  if (b0 === 0xff) return false // multicast
  if (b0 === 0x20 && b1 === 0x01 && ip.bytes[2] === 0x0d && ip.bytes[3] === 0xb8) return false // 2001:db8::/32 documentation
  return true
}

function isPublicV4([a = 0, b = 0, c = 0]: number[]): boolean {
  if (a === 0 || a === 10 || a === 127) return false // this network, private, loopback
  if (a === 100 && b >= 64 && b <= 127) return false // 100.64.0.0/10 carrier-grade NAT
  if (a === 169 && b === 254) return false // link-local (cloud metadata lives here)
  if (a === 172 && b >= 16 && b <= 31) return false
  if (a === 192 && b === 168) return false
  if (a === 192 && b === 0 && (c === 0 || c === 2)) return false // IETF protocol assignments, TEST-NET-1
  if (a === 198 && (b === 18 || b === 19)) return false // benchmarking
  if (a === 198 && b === 51 && c === 100) return false // TEST-NET-2
  if (a === 203 && b === 0 && c === 113) return false // TEST-NET-3
  if (a >= 224) return false // multicast, reserved, broadcast
  return true
}

/** A URL safe to show to read-only users: no user name or password, query values replaced. */
export function redactUrl(raw: string): string {
  if (!URL.canParse(raw)) return "(invalid URL)"
  const url = new URL(raw)
  url.username = ""
  url.password = ""
  for (const key of [...new Set(url.searchParams.keys())]) url.searchParams.set(key, "redacted")
  return url.href
}
