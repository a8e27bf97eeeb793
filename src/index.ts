/** Worker entry: the Hono app and its Durable Object classes (per bot, per platform account, per contact). */
import { createApp } from "./app"

export default createApp()
export { BotDurableObject } from "./bot/bot-durable-object"
export { RouteDirectory } from "./bot/route-directory"
export { ContactDurableObject } from "./contacts/contact-durable-object"
