/**
 * How the worker reaches Durable Objects: a bot's object by bot id, a route directory entry by platform account, a
 * contact's object by contact id.
 */
import type { ContactDurableObject } from "../contacts/contact-durable-object"
import type { Env } from "../env"
import type { BotDurableObject } from "./bot-durable-object"
import type { RouteDirectory } from "./route-directory"

/**
 * Ids derived from bot ids (idFromName hashes the name on every call: 3% of a webhook's CPU in bench --profile).
 * An id is plain data, valid across requests; the map is bounded, oldest entries go first.
 */
const idCaches = new WeakMap<Env["BOT"], Map<string, DurableObjectId>>()
const BOT_ID_CACHE = 10_000

export function botStub(env: Env, botId: string): DurableObjectStub<BotDurableObject> {
  let botIds = idCaches.get(env.BOT)
  if (!botIds) {
    botIds = new Map()
    idCaches.set(env.BOT, botIds)
  }
  let id = botIds.get(botId)
  if (!id) {
    id = env.BOT.idFromName(botId)
    if (botIds.size >= BOT_ID_CACHE) botIds.delete(botIds.keys().next().value ?? "")
    botIds.set(botId, id)
  }
  return env.BOT.get(id)
}

/** The directory entry for one platform account (`whatsapp:{phone_number_id}`): which bot it belongs to. */
export function routeStub(env: Env, platform: string, key: string): DurableObjectStub<RouteDirectory> {
  return env.ROUTES.get(env.ROUTES.idFromName(`${platform}:${key}`))
}

/** The contact's own object: its sends to it, each walked through its route. */
export function contactStub(env: Env, contactId: string): DurableObjectStub<ContactDurableObject> {
  return env.CONTACT.get(env.CONTACT.idFromName(contactId))
}
