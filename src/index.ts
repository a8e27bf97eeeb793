/** Worker entry: the Hono app and the per-bot Durable Object class. */
import { createApp } from "./app"

export default createApp()
export { BotDurableObject } from "./bot/bot-durable-object"
export { RouteDirectory } from "./bot/route-directory"
