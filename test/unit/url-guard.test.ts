// The outbound URL policy for handler endpoints: public https only (SSRF), checked on the URL as normalized.
import { describe, expect, it } from "vitest"
import { checkOutboundUrl, redactUrl } from "../../src/lib/url-guard"

const production = { allowLoopbackHttp: false }
const development = { allowLoopbackHttp: true }

describe("checkOutboundUrl", () => {
  it.each([
    "https://example.com/hook",
    "https://api.openai.com/v1",
    "https://8.8.8.8/x",
    "https://[2606:4700:4700::1111]/x",
    "https://hooks.example.com:8443/a?b=c",
  ])("allows the public https URL %s", (url) => {
    expect(checkOutboundUrl(url, production).ok).toBe(true)
  })

  it.each([
    ["http://example.com/hook", "https"],
    ["ftp://example.com/", "https"],
    ["https://user:pass@example.com/", "user name"],
    ["https://token@example.com/", "user name"],
    ["https://localhost/x", "this machine"],
    ["https://api.localhost/x", "this machine"],
    ["https://127.0.0.1/x", "this machine"],
    ["https://127.1.2.3/x", "this machine"],
    ["https://2130706433/x", "this machine"], // decimal 127.0.0.1
    ["https://0x7f000001/x", "this machine"], // hex
    ["https://0177.0.0.1/x", "this machine"], // octal
    ["https://127.1/x", "this machine"], // short form
    ["https://[::1]/x", "this machine"],
    ["https://[::ffff:127.0.0.1]/x", "this machine"],
    ["https://[::ffff:7f00:1]/x", "this machine"],
    ["https://10.0.0.8/x", "private"],
    ["https://172.16.5.4/x", "private"],
    ["https://172.31.255.255/x", "private"],
    ["https://192.168.1.1/x", "private"],
    ["https://169.254.169.254/latest/meta-data", "private"],
    ["https://100.64.0.1/x", "private"],
    ["https://100.127.255.254/x", "private"],
    ["https://0.0.0.0/x", "private"],
    ["https://224.0.0.1/x", "private"],
    ["https://3232235777/x", "private"], // decimal 192.168.1.1
    ["https://[fd12:3456::1]/x", "private"],
    ["https://[fc00::1]/x", "private"],
    ["https://[fe80::1]/x", "private"],
    ["https://[::]/x", "private"],
    ["https://[::ffff:10.0.0.1]/x", "private"],
    ["https://[::ffff:a9fe:a9fe]/x", "private"], // mapped 169.254.169.254
    ["https://[64:ff9b::a00:1]/x", "private"], // NAT64 of 10.0.0.1
    ["not a url", "valid URL"],
  ])("refuses %s", (url, why) => {
    const verdict = checkOutboundUrl(url, production)
    expect(verdict.ok).toBe(false)
    expect(verdict.ok ? "" : verdict.reason).toContain(why)
  })

  it("allows plain http to loopback only in local development, where the fakes listen", () => {
    expect(checkOutboundUrl("http://127.0.0.1:8083/forward/x", production).ok).toBe(false)
    expect(checkOutboundUrl("http://127.0.0.1:8083/forward/x", development).ok).toBe(true)
    expect(checkOutboundUrl("http://localhost:8083/x", development).ok).toBe(true)
    // Development opens loopback, not the private network, and not http elsewhere.
    expect(checkOutboundUrl("http://10.0.0.1/x", development).ok).toBe(false)
    expect(checkOutboundUrl("http://example.com/x", development).ok).toBe(false)
    expect(checkOutboundUrl("https://user:pw@127.0.0.1/x", development).ok).toBe(false)
  })
})

describe("redactUrl", () => {
  it("drops user names and passwords and replaces query values", () => {
    expect(redactUrl("https://bob:pw@example.com/hook?key=s3cret&x=1&key=2")).toBe(
      "https://example.com/hook?key=redacted&x=redacted",
    )
    expect(redactUrl("https://example.com/plain")).toBe("https://example.com/plain")
  })
})
