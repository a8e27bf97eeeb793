/** The send queue's row shapes: message statuses, what the queue hands the drain, what the API reads, and row schemas. */
import { z } from "zod"
import type { OutboundMessage } from "../providers/types"
import { type MessageOwner, messageOwnerSchema } from "./notices"

/** `held`: a paused broadcast's message, out of line until resumed; `cancelled`: a cancelled broadcast's, never sent. */
export const messageStatuses = [
  "queued",
  "sending",
  "sent",
  "delivered",
  "read",
  "failed",
  "held",
  "cancelled",
] as const
export type MessageStatus = (typeof messageStatuses)[number]

export interface QueuedMessage {
  id: string
  seq: number
  chatId: string
  message: OutboundMessage
  attempts: number
  rateLimited: number
  readyAt: number
  isGroup: boolean
  createdAt: number
  /** A reply's: when the update it answers arrived. */
  originAt: number | null
  /** The contact send this message is one hop of, when it is one. */
  owner: MessageOwner | null
}

export interface Enqueued {
  id: string
  status: MessageStatus
  /** True when the idempotency key named a message queued before: nothing new was queued. */
  duplicate: boolean
}

export interface MessageView {
  id: string
  chatId: string
  status: MessageStatus
  attempts: number
  error: string | null
  platformMessageId: string | null
  source: string
  createdAt: number
  updatedAt: number
  /** The template (and its version) the message was rendered from, when it was. */
  templateRef: { id: string; version: number } | null
}

export const viewRow = z.object({
  id: z.string(),
  chat_id: z.string(),
  status: z.enum(messageStatuses),
  attempts: z.number(),
  last_error: z.string().nullable(),
  platform_message_id: z.string().nullable(),
  source: z.string(),
  created_at: z.number(),
  updated_at: z.number(),
  template_ref: z.string().nullable(),
})

/** A message as `Outbox.claim` reads it back when it takes it for sending. */
export const claimedRow = z.object({
  id: z.string(),
  seq: z.number(),
  chat_id: z.string(),
  message: z.string(),
  attempts: z.number(),
  rate_limited: z.number(),
  created_at: z.number(),
  origin_at: z.number().nullable(),
  owner: z.string().nullable(),
})

export const parseOwner = (owner: string | null): MessageOwner | null =>
  owner === null ? null : messageOwnerSchema.parse(JSON.parse(owner))

/** A receipt that moved a message forward, with the owner to tell. */
export interface ReceiptApplied {
  id: string
  status: MessageStatus
  owner: MessageOwner | null
}

/** Delivery receipts only move forward: a late "delivered" never overwrites "read". */
export const rank: Record<MessageStatus, number> = {
  held: 0,
  queued: 0,
  sending: 1,
  sent: 2,
  delivered: 3,
  read: 4,
  failed: 5,
  cancelled: 5,
}
