/** What a webhook delivery is when it crosses from the worker to a bot's Durable Object, and what comes back. */
import type { WebhookReply } from "../providers/types"

/** A webhook request as the worker hands it over: the exact raw bytes, for signature checks. */
export interface WebhookInput {
  /** The platform the route belongs to: a bot only answers on its own platform's path. */
  platform: string
  method: string
  url: string
  headers: [string, string][]
  body: ArrayBuffer
  /** Set by an app-level route, which already verified the app's signature. */
  preVerified?: boolean
}

/**
 * What became of a webhook the bot took. `reply` is the answer the provider wrote itself, when the platform
 * expects one (Slack's challenge, Discord's PING): otherwise the route answers a plain 200.
 */
export type WebhookOutcome =
  /** Its events are durably in the inbox (or were already: duplicates). */
  | { kind: "stored"; accepted: number; duplicates: number; reply: WebhookReply | null }
  /** Verified and parsed, but the bot is stopped: acknowledged so the platform stops retrying, not handled. */
  | { kind: "dropped"; events: number; reply: WebhookReply | null }
  /** An unverified handshake the provider answers itself (WhatsApp's hub.challenge). */
  | { kind: "answered"; reply: WebhookReply }

/** Why a webhook was refused. */
export type WebhookRefusal =
  | { kind: "not_found" }
  | { kind: "unverified"; message: string }
  | { kind: "malformed"; message: string }
