// The fake platforms (test/fakes) in a process of their own, one per run: the platform's clock and event loop are
// not shared with the load generator or with another run. Protocol (IPC): answers `{ type: "ready", ...origins }`.
import { startFakes } from "../test/fakes/index.ts"

export interface FakesReady {
  type: "ready"
  telegramApiBase: string
  whatsappApiBase: string
  slackApiBase: string
  telegramOrigin: string
  whatsappOrigin: string
  slackOrigin: string
  discordApiBase: string
  discordOrigin: string
}

const fakes = await startFakes()
const slack = fakes.platforms.slack
if (!slack) throw new Error("test/fakes has no Slack fake (test/fakes/slack.fake.ts)")
const discord = fakes.platforms.discord
if (!discord) throw new Error("test/fakes has no Discord fake (test/fakes/discord.fake.ts)")
process.send?.({
  type: "ready",
  telegramApiBase: fakes.telegramApiBase,
  whatsappApiBase: fakes.whatsappApiBase,
  slackApiBase: slack.apiBase,
  telegramOrigin: fakes.telegramOrigin,
  whatsappOrigin: fakes.whatsappOrigin,
  slackOrigin: slack.origin,
  discordApiBase: discord.apiBase,
  discordOrigin: discord.origin,
} satisfies FakesReady)
process.on("disconnect", () => {
  void fakes.close().then(() => process.exit(0))
})
