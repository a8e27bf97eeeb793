/**
 * Discord provider: Ed25519-signed interactions over HTTPS (slash commands, button clicks) answered at once with a
 * deferred response, the handler's reply sent later as the interaction's follow-up; messages from the Gateway
 * (discord.gateway.ts, a socket the bot's Durable Object holds); REST sends to channels.
 * @see https://discord.com/developers/docs/interactions/receiving-and-responding
 */
import { err, ok, type Result } from "../lib/result"
import { gatewayProtocol, snowflakeTime } from "./discord.gateway"
import {
  type DiscordCredentials,
  type DiscordInteraction,
  type DiscordOption,
  discordCredentialsSchema,
  discordInteractionSchema,
} from "./discord.schema"
import {
  checkDiscordAuth,
  discordSendBody,
  escapeDiscordMarkdown,
  FOLLOWUP_MARKER,
  INTERACTION_MARKER,
  registerCommands,
  sendDiscord,
} from "./discord.send"
import { compact, parseJsonOrUndefined } from "./shared"
import type { BotRuntime, InboundContent, InboundMessage, MessagingProvider, ParseError } from "./types"

export { fromGatewayMessage, snowflakeTime } from "./discord.gateway"
export type { DiscordCredentials } from "./discord.schema"
export { classifyDiscordError, discordSendBody, FOLLOWUP_MARKER, INTERACTION_MARKER } from "./discord.send"

type Bot = BotRuntime<DiscordCredentials>

export const DISCORD_SIGNATURE_HEADER = "X-Signature-Ed25519"
export const DISCORD_TIMESTAMP_HEADER = "X-Signature-Timestamp"

/** Interaction types and the answers we give. */
export const InteractionType = {
  PING: 1,
  APPLICATION_COMMAND: 2,
  MESSAGE_COMPONENT: 3,
  AUTOCOMPLETE: 4,
  MODAL_SUBMIT: 5,
}
export const ResponseType = {
  PONG: 1,
  CHANNEL_MESSAGE_WITH_SOURCE: 4,
  DEFERRED_CHANNEL_MESSAGE: 5,
  DEFERRED_UPDATE_MESSAGE: 6,
  AUTOCOMPLETE_RESULT: 8,
}
/** Message flag: only the person who invoked the interaction sees it. */
const EPHEMERAL = 1 << 6

/** Imported public keys, by hex: an import per interaction was most of verify's cost. */
const keys = new Map<string, Promise<CryptoKey>>()

function hexBytes(hex: string): Uint8Array<ArrayBuffer> | null {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return null
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16)
  return out
}

function publicKey(hex: string): Promise<CryptoKey> {
  let key = keys.get(hex)
  if (!key) {
    const raw = hexBytes(hex) ?? new Uint8Array(0)
    key = crypto.subtle.importKey("raw", raw, { name: "Ed25519" }, false, ["verify"])
    key.catch(() => keys.delete(hex))
    if (keys.size > 1000) keys.clear()
    keys.set(hex, key)
  }
  return key
}

/** A command as the person typed it: `/name sub value value`. */
function commandText(name: string, options: DiscordOption[] | undefined): string {
  const parts = [`/${name}`]
  const walk = (opts: DiscordOption[] | undefined) => {
    for (const o of opts ?? []) {
      if (o.options) {
        parts.push(o.name)
        walk(o.options)
      } else if (o.value !== undefined) parts.push(String(o.value))
    }
  }
  walk(options)
  return parts.join(" ")
}

function fromInteraction(i: DiscordInteraction, bot: Bot): InboundMessage | null {
  const channel = i.channel_id ?? i.channel?.id
  const user = i.member?.user ?? i.user
  if (channel === undefined || user === undefined || i.token === undefined) return null
  let content: InboundContent & { text: string }
  if (i.type === InteractionType.APPLICATION_COMMAND && i.data?.name !== undefined) {
    content = { kind: "text", text: commandText(i.data.name, i.data.options) }
  } else if (i.type === InteractionType.MESSAGE_COMPONENT && i.data?.custom_id !== undefined) {
    content = { kind: "interactive", interactive: { id: i.data.custom_id }, text: i.data.custom_id }
  } else return null
  return {
    eventId: i.id,
    botId: bot.botId,
    platform: "discord",
    ...content,
    messageId: i.message?.id ?? i.id,
    chatId: channel,
    conversation: i.guild_id === undefined ? "direct" : "group",
    userId: user.id,
    userName: user.global_name ?? user.username ?? undefined,
    timestamp: snowflakeTime(i.id),
    metadata: compact({
      interactionId: i.id,
      interactionToken: i.token,
      interactionType: i.type,
      command: i.data?.name,
      guildId: i.guild_id,
      username: user.username,
    }),
  }
}

function readInteraction(rawBody: string): Result<DiscordInteraction, ParseError> {
  const json = parseJsonOrUndefined(rawBody)
  if (json === undefined) return err({ message: "body is not valid JSON" })
  const parsed = discordInteractionSchema.safeParse(json)
  if (!parsed.success) return err({ message: `not a Discord interaction: ${parsed.error.issues[0]?.message}` })
  return ok(parsed.data)
}

const jsonReply = (body: unknown) => ({ status: 200, contentType: "application/json", body: JSON.stringify(body) })

export const discord: MessagingProvider<DiscordCredentials> = {
  platform: "discord",
  displayName: "Discord",
  credentialsSchema: discordCredentialsSchema,
  publicCredentialFields: ["applicationId", "publicKey"] satisfies (keyof DiscordCredentials)[],
  limits: {
    // Messages to one channel: 5 per 5 s (the route's X-RateLimit-Limit), so one a second keeps within it.
    perChatIntervalMs: 1000,
    // The global limit: 50 requests per second per bot (the pacer keeps its headroom below it).
    perBotPerSecond: 50,
  },
  webhookPath: (botId) => `/webhooks/discord/${botId}`,
  manualWebhook: {
    urlName: "Interactions Endpoint URL",
    steps:
      "In the Discord Developer Portal > your application > General Information, paste this as the Interactions " +
      "Endpoint URL and save (Discord checks it at once). Messages arrive over the Gateway without it; slash " +
      "commands and buttons need it.",
  },
  apiBaseEnv: "DISCORD_API_BASE",
  defaultApiBase: "https://discord.com/api/v10",
  webhookHeaders: [DISCORD_SIGNATURE_HEADER.toLowerCase(), DISCORD_TIMESTAMP_HEADER.toLowerCase()],

  checkCredentials: checkDiscordAuth,
  // Text goes out as Discord markdown: a value's `*`, `_`, `` ` ``, `>`... would format the message.
  escapeText: escapeDiscordMarkdown,

  checkMessage(msg) {
    const built = discordSendBody(msg)
    return built.ok ? null : built.error
  },

  /**
   * `X-Signature-Ed25519`: the hex Ed25519 signature of `X-Signature-Timestamp` + the raw body, by the
   * application's key. Discord sends forged requests on purpose to check that they are refused (401).
   */
  async verify(req, rawBody, bot) {
    const signature = req.headers.get(DISCORD_SIGNATURE_HEADER)
    const timestamp = req.headers.get(DISCORD_TIMESTAMP_HEADER)
    if (signature === null) return err({ kind: "unauthorized", message: `missing ${DISCORD_SIGNATURE_HEADER}` })
    if (timestamp === null) return err({ kind: "unauthorized", message: `missing ${DISCORD_TIMESTAMP_HEADER}` })
    const sig = hexBytes(signature.trim())
    if (sig === null || sig.length !== 64)
      return err({ kind: "unauthorized", message: `${DISCORD_SIGNATURE_HEADER} is not a hex Ed25519 signature` })
    const prefix = new TextEncoder().encode(timestamp)
    const signed = new Uint8Array(prefix.length + rawBody.length)
    signed.set(prefix)
    signed.set(rawBody, prefix.length)
    let valid = false
    try {
      valid = await crypto.subtle.verify({ name: "Ed25519" }, await publicKey(bot.credentials.publicKey), sig, signed)
    } catch {
      valid = false
    }
    return valid ? ok(undefined) : err({ kind: "unauthorized", message: "interaction signature does not match" })
  },

  /** PING and autocomplete carry nothing to handle; commands and button clicks are events keyed by interaction id. */
  parse(rawBody, bot) {
    const read = readInteraction(rawBody)
    if (!read.ok) return read
    const event = fromInteraction(read.value, bot)
    return ok(event === null ? [] : [event])
  },

  /**
   * The answer Discord waits 3 s for: PONG to a PING; "thinking…" (deferred, type 5) to a command and a silent
   * deferred update (type 6) to a click, the handler's reply following as the interaction's follow-up.
   */
  reply(rawBody, _events, _bot, handled) {
    const read = readInteraction(rawBody)
    if (!read.ok) return null
    if (read.value.type === InteractionType.PING) return jsonReply({ type: ResponseType.PONG })
    // A stopped bot answers at once, to the person who asked only, instead of a "thinking…" no follow-up will end.
    if (!handled && read.value.type !== InteractionType.AUTOCOMPLETE)
      return jsonReply({
        type: ResponseType.CHANNEL_MESSAGE_WITH_SOURCE,
        data: { content: "This bot is stopped right now.", flags: EPHEMERAL },
      })
    switch (read.value.type) {
      case InteractionType.MESSAGE_COMPONENT:
        return jsonReply({ type: ResponseType.DEFERRED_UPDATE_MESSAGE })
      case InteractionType.AUTOCOMPLETE:
        return jsonReply({ type: ResponseType.AUTOCOMPLETE_RESULT, data: { choices: [] } })
      default:
        return jsonReply({ type: ResponseType.DEFERRED_CHANNEL_MESSAGE })
    }
  },

  /**
   * A handler's reply to an interaction, in its channel, goes out through the interaction: a command's first reply
   * replaces the deferred "thinking…" (`interaction:<token>`), later ones and a click's replies are follow-up
   * messages (`followup:<token>`). A token too long for `replyTo` falls back to a plain channel message.
   */
  addressReply(event, reply, index) {
    const token = event.metadata.interactionToken
    if (typeof token !== "string" || reply.chatId !== event.chatId || reply.replyTo !== undefined) return reply
    const first = index === 0 && event.kind !== "interactive"
    const marker = `${first ? INTERACTION_MARKER : FOLLOWUP_MARKER}${token}`
    return marker.length <= 256 ? { ...reply, replyTo: marker } : reply
  },

  setup: registerCommands,

  send: sendDiscord,

  gateway: gatewayProtocol,
}
