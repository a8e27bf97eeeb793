/** What an external handler (forward URL) may answer: replies in our outbound shape, chat id optional. */
import { z } from "zod"
import { outboundMessageSchema } from "../providers/types"

const replyItem = z.union([z.string().min(1).max(4096), z.looseObject({ chatId: z.string().optional() })])

/** `{ replies: [...] }`, `{ text }`, a bare array, or nothing (no reply). */
export const forwardResponseSchema = z.union([
  z.object({ replies: z.array(replyItem).max(20) }),
  z.array(replyItem).max(20),
  z.looseObject({ text: z.string().min(1).max(4096) }),
])

export function toReplies(body: z.infer<typeof forwardResponseSchema>, chatId: string) {
  let items: z.infer<typeof replyItem>[]
  if (Array.isArray(body)) items = body
  else if ("replies" in body && Array.isArray(body.replies)) items = body.replies
  else items = [{ ...body }]
  return items.map((item) =>
    outboundMessageSchema.parse(typeof item === "string" ? { chatId, text: item } : { chatId, ...item }),
  )
}
