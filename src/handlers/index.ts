/** The handler map: a bot's `config.handler.type` picks one. */
import type { HandlerConfig } from "../registry/schemas"
import { ai } from "./ai"
import { echo } from "./echo"
import { forward } from "./forward"
import type { Handler } from "./types"

export const handlers: Record<HandlerConfig["type"], Handler> = { echo, forward, ai }
