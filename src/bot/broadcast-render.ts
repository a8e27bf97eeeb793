/** What one broadcast recipient gets: the broadcast's content, or its template rendered with their variables. */
import { type DomainError, invalid } from "../lib/domain-error"
import { err, ok, type Result } from "../lib/result"
import type { OutboundContent } from "../providers/types"
import type { BroadcastContent, Recipient } from "./broadcast-store"

export function renderBroadcast(
  content: BroadcastContent,
  _recipient: Recipient,
  _platform: string,
): Result<OutboundContent, DomainError> {
  if (content.kind === "content") return ok(content.content)
  return err(invalid("templateId", "template broadcasts are not available yet"))
}
