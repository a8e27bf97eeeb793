/** The default handler: answers every message with what it received, so a new bot works end to end at once. */
import { ok } from "../lib/result"
import type { InboundMessage } from "../providers/types"
import type { Handler } from "./types"

function describe(event: InboundMessage): string {
  // A button press echoes the label the person tapped, not the data the bot attached to it.
  if (event.kind === "interactive" && event.interactive.title) return event.interactive.title
  if (event.text) return event.text
  switch (event.kind) {
    case "location":
      return `Location: ${event.location.latitude}, ${event.location.longitude}`
    case "interactive":
      return `You chose: ${event.interactive.id}`
    default:
      return `Received your ${event.kind}`
  }
}

export const echo: Handler = async (event) =>
  ok({ replies: [{ chatId: event.chatId, text: describe(event).slice(0, 4096) }] })
