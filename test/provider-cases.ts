// Per-provider inputs for the provider tests: bots, fixtures, how the platform signs a webhook, canned fetch.
import type { Platform } from "../src/providers"
import { TELEGRAM_SECRET_HEADER, type TelegramCredentials } from "../src/providers/telegram"
import type { BotRuntime, InboundRequest, ProviderErrorKind } from "../src/providers/types"
import { WHATSAPP_SIGNATURE_HEADER, type WhatsAppCredentials } from "../src/providers/whatsapp"
import { whatsappSignature } from "./fakes/builders"
import tgAudio from "./fixtures/telegram/audio.json"
import tgCallbackQuery from "./fixtures/telegram/callback_query.json"
import tgChannelPost from "./fixtures/telegram/channel_post.json"
import tgContact from "./fixtures/telegram/contact.json"
import tgDocument from "./fixtures/telegram/document.json"
import tgEdited from "./fixtures/telegram/edited_message.json"
import tgGroupTopic from "./fixtures/telegram/group_topic.json"
import tgLocation from "./fixtures/telegram/location.json"
import tgMyChatMember from "./fixtures/telegram/my_chat_member.json"
import tgPhoto from "./fixtures/telegram/photo.json"
import tgSticker from "./fixtures/telegram/sticker.json"
import tgText from "./fixtures/telegram/text.json"
import tgVideo from "./fixtures/telegram/video.json"
import tgVoice from "./fixtures/telegram/voice.json"
import waAudio from "./fixtures/whatsapp/audio.json"
import waButton from "./fixtures/whatsapp/button.json"
import waContacts from "./fixtures/whatsapp/contacts.json"
import waDocument from "./fixtures/whatsapp/document.json"
import waImage from "./fixtures/whatsapp/image.json"
import waButtonReply from "./fixtures/whatsapp/interactive_button_reply.json"
import waListReply from "./fixtures/whatsapp/interactive_list_reply.json"
import waLocation from "./fixtures/whatsapp/location.json"
import waMultiNumber from "./fixtures/whatsapp/multi_number.json"
import waNonAscii from "./fixtures/whatsapp/non_ascii.json"
import waReaction from "./fixtures/whatsapp/reaction.json"
import waStatuses from "./fixtures/whatsapp/statuses.json"
import waTemplateStatus from "./fixtures/whatsapp/template_status_update.json"
import waText from "./fixtures/whatsapp/text.json"
import waUsernameOnly from "./fixtures/whatsapp/username_only.json"
import waVideo from "./fixtures/whatsapp/video.json"

/** Fixture name -> raw webhook body, exactly as the platform would POST it. */
const bodies = (fixtures: Record<string, unknown>): Record<string, string> =>
  Object.fromEntries(Object.entries(fixtures).map(([name, f]) => [name, JSON.stringify(f)]))

export const telegramBodies = bodies({
  text: tgText,
  photo: tgPhoto,
  document: tgDocument,
  audio: tgAudio,
  voice: tgVoice,
  video: tgVideo,
  sticker: tgSticker,
  location: tgLocation,
  contact: tgContact,
  callback_query: tgCallbackQuery,
  edited_message: tgEdited,
  channel_post: tgChannelPost,
  group_topic: tgGroupTopic,
  my_chat_member: tgMyChatMember,
})

export const whatsappBodies = bodies({
  text: waText,
  image: waImage,
  document: waDocument,
  audio: waAudio,
  video: waVideo,
  location: waLocation,
  contacts: waContacts,
  interactive_button_reply: waButtonReply,
  interactive_list_reply: waListReply,
  button: waButton,
  reaction: waReaction,
  statuses: waStatuses,
  multi_number: waMultiNumber,
  non_ascii: waNonAscii,
  username_only: waUsernameOnly,
  template_status_update: waTemplateStatus,
})

export function body(bodies: Record<string, string>, name: string): string {
  const b = bodies[name]
  if (b === undefined) throw new Error(`no fixture named ${name}`)
  return b
}

export const TELEGRAM_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw_"

export const telegramBot: BotRuntime<TelegramCredentials> = {
  botId: "bot_tg_1",
  credentials: { botToken: TELEGRAM_TOKEN },
  webhookSecret: "wh_secret_0123456789abcdef",
  webhookUrl: "https://switchboard.test/webhooks/telegram/bot_tg_1",
  apiBase: "https://telegram.fake",
}

export const PHONE_NUMBER_ID = "106540352242922"
export const OTHER_PHONE_NUMBER_ID = "109876543210987"
export const APP_SECRET = "test-app-secret"

export const whatsappBot: BotRuntime<WhatsAppCredentials> = {
  botId: "bot_wa_1",
  credentials: { accessToken: "EAAG-test-access-token", phoneNumberId: PHONE_NUMBER_ID, verifyToken: "verify-me" },
  webhookSecret: "unused-for-whatsapp",
  webhookUrl: "https://switchboard.test/webhooks/whatsapp/bot_wa_1",
  apiBase: "https://graph.fake/v21.0",
  appSecret: APP_SECRET,
}

/** An InboundRequest whose headers are a real `Headers` (the suite edits them). */
export type SignedRequest = InboundRequest & { headers: Headers }

export function request(path: string, headers: Record<string, string>, method = "POST"): SignedRequest {
  return { method, url: `https://switchboard.test${path}`, headers: new Headers(headers) }
}

/** What each provider needs from the contract suite: its bot, fixtures, and how its platform signs a webhook. */
export interface ContractCase {
  platform: Platform
  bot: BotRuntime
  bodies: Record<string, string>
  /** A fixture that is a valid payload with nothing to handle. */
  ignored: string
  credentialHeader: string
  sign(body: string): Promise<SignedRequest>
  forge(body: string): Promise<SignedRequest>
  /** The platform's answer to a successful send, and the id the provider should report. */
  sendOk: { response: () => Response; platformMessageId: string }
  /** One refusal per HTTP status, in the platform's own error shape, and the kind the provider must classify it as. */
  sendErrors: SendErrorCase[]
}

export interface SendErrorCase {
  status: number
  /** What the platform means by it, for the test name. */
  meaning: string
  body: unknown
  kind: ProviderErrorKind
}

/** `{ ok: false, error_code, description, parameters? }`, the Bot API's error envelope. */
export const telegramErrorBody = (code: number, description: string, parameters?: Record<string, number>) => ({
  ok: false,
  error_code: code,
  description,
  ...(parameters ? { parameters } : {}),
})

/** `{ error: { message, type, code, error_subcode?, fbtrace_id } }`, the Graph API's error envelope. */
export const graphErrorBody = (code: number, message: string, subcode?: number) => ({
  error: {
    message,
    type: code === 190 ? "OAuthException" : "GraphMethodException",
    code,
    ...(subcode === undefined ? {} : { error_subcode: subcode }),
    fbtrace_id: "AbCdEfGhIjK",
  },
})

export const contractCases: ContractCase[] = [
  {
    platform: "telegram",
    bot: telegramBot,
    bodies: telegramBodies,
    ignored: "my_chat_member",
    credentialHeader: TELEGRAM_SECRET_HEADER,
    sign: async () => request("/webhooks/telegram/bot_tg_1", { [TELEGRAM_SECRET_HEADER]: telegramBot.webhookSecret }),
    forge: async () => request("/webhooks/telegram/bot_tg_1", { [TELEGRAM_SECRET_HEADER]: "guessed-secret" }),
    sendOk: {
      response: () =>
        Response.json({ ok: true, result: { message_id: 4711, date: 1767225600, chat: { id: 1, type: "private" } } }),
      platformMessageId: "4711",
    },
    sendErrors: [
      {
        status: 400,
        meaning: "a bad request",
        body: telegramErrorBody(400, "Bad Request: message text is empty"),
        kind: "bad_request",
      },
      { status: 401, meaning: "a revoked token", body: telegramErrorBody(401, "Unauthorized"), kind: "unauthorized" },
      {
        status: 403,
        meaning: "a user who blocked the bot",
        body: telegramErrorBody(403, "Forbidden: bot was blocked by the user"),
        kind: "forbidden",
      },
      // A malformed or deleted token: the method path itself is unknown.
      { status: 404, meaning: "an unknown token", body: telegramErrorBody(404, "Not Found"), kind: "unauthorized" },
      {
        status: 429,
        meaning: "flood control",
        body: telegramErrorBody(429, "Too Many Requests: retry after 3", { retry_after: 3 }),
        kind: "rate_limited",
      },
      {
        status: 500,
        meaning: "a server error",
        body: telegramErrorBody(500, "Internal Server Error"),
        kind: "unavailable",
      },
    ],
  },
  {
    platform: "whatsapp",
    bot: whatsappBot,
    bodies: whatsappBodies,
    ignored: "template_status_update",
    credentialHeader: WHATSAPP_SIGNATURE_HEADER,
    sign: async (b) =>
      request("/webhooks/whatsapp/bot_wa_1", { [WHATSAPP_SIGNATURE_HEADER]: await whatsappSignature(APP_SECRET, b) }),
    forge: async (b) =>
      request("/webhooks/whatsapp/bot_wa_1", {
        [WHATSAPP_SIGNATURE_HEADER]: await whatsappSignature("not-the-app-secret", b),
      }),
    sendOk: {
      response: () =>
        Response.json({
          messaging_product: "whatsapp",
          contacts: [{ input: "351912345678", wa_id: "351912345678" }],
          messages: [{ id: "wamid.HBgMMzUxOTEyMzQ1Njc4FQIAERgSOUT" }],
        }),
      platformMessageId: "wamid.HBgMMzUxOTEyMzQ1Njc4FQIAERgSOUT",
    },
    sendErrors: [
      {
        status: 400,
        meaning: "an invalid parameter (#100)",
        body: graphErrorBody(100, "(#100) Invalid parameter"),
        kind: "bad_request",
      },
      {
        status: 401,
        meaning: "an expired access token (#190)",
        body: graphErrorBody(190, "Error validating access token: Session has expired", 463),
        kind: "unauthorized",
      },
      {
        status: 403,
        meaning: "a missing permission (#10)",
        body: graphErrorBody(10, "(#10) Application does not have permission for this action"),
        kind: "unauthorized",
      },
      {
        status: 404,
        meaning: "an unknown phone number id (#100/33)",
        body: graphErrorBody(100, "Unsupported post request. Object with ID does not exist", 33),
        kind: "bad_request",
      },
      {
        status: 429,
        meaning: "the business's rate limit (#130429)",
        body: graphErrorBody(130429, "(#130429) Rate limit hit"),
        kind: "rate_limited",
      },
      {
        status: 500,
        meaning: "a Graph outage (#131000)",
        body: graphErrorBody(131000, "Something went wrong"),
        kind: "unavailable",
      },
    ],
  },
]

export interface FetchCall {
  url: string
  method: string
  headers: Headers
  body: unknown
}

/** An injected `fetch` that records each call and answers with canned Responses (shapes from platforms.md). */
export function fakeFetch(respond: (call: FetchCall) => Response | Promise<Response>): {
  fetch: typeof fetch
  calls: FetchCall[]
} {
  const calls: FetchCall[] = []
  const f: typeof fetch = async (input, init) => {
    const text = typeof init?.body === "string" ? init.body : null
    const call: FetchCall = {
      url: input instanceof Request ? input.url : String(input),
      method: init?.method ?? "GET",
      headers: new Headers(init?.headers),
      body: text === null ? null : JSON.parse(text),
    }
    calls.push(call)
    return respond(call)
  }
  return { fetch: f, calls }
}

/** A fetch that never answers: only the provider's timeout can end the call. */
export const hangingFetch: typeof fetch = (_input, init) =>
  new Promise((_resolve, reject) => {
    init?.signal?.addEventListener("abort", () => reject(init.signal?.reason))
  })
