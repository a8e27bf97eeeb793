/** What one broadcast recipient gets: the broadcast's content, or its template rendered with their variables. */
import type { DomainError } from "../lib/domain-error"
import { ok, type Result } from "../lib/result"
import type { Platform } from "../providers"
import type { OutboundContent } from "../providers/types"
import { renderTemplate } from "../templates/render"
import type { BroadcastContent, Recipient } from "./broadcast-store"

export function renderBroadcast(
  content: BroadcastContent,
  recipient: Recipient,
  platform: Platform,
): Result<OutboundContent, DomainError> {
  if (content.kind === "content") return ok(content.content)
  const rendered = renderTemplate(content.template, { ...content.variables, ...recipient.variables }, platform)
  return rendered.ok ? ok(rendered.value.content) : rendered
}
