// The fake platforms (test/fakes) in a process of their own, one per run: the platform's clock and event loop are
// not shared with the load generator or with another run. Protocol (IPC): answers `{ type: "ready", ...origins }`.
import { startFakes } from "../test/fakes/index.ts"

export interface FakesReady {
  type: "ready"
  telegramApiBase: string
  whatsappApiBase: string
  telegramOrigin: string
  whatsappOrigin: string
}

const fakes = await startFakes()
process.send?.({
  type: "ready",
  telegramApiBase: fakes.telegramApiBase,
  whatsappApiBase: fakes.whatsappApiBase,
  telegramOrigin: fakes.telegramOrigin,
  whatsappOrigin: fakes.whatsappOrigin,
} satisfies FakesReady)
process.on("disconnect", () => {
  void fakes.close().then(() => process.exit(0))
})
