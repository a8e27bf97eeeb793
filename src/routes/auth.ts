/** Sign-in helpers for the dashboard: whether dev sign-in is on, and (local development only) a demo token. */
import { Hono } from "hono"
import { signToken } from "../auth/jwt"
import type { AppEnv } from "../env"
import { HttpError } from "../lib/errors"

export const DEMO_BUSINESS = "demo"

const devSignIn = (env: AppEnv["Bindings"]) => env.ENVIRONMENT === "development"

export const authApp = new Hono<AppEnv>()
  .get("/config", (c) => c.json({ devSignIn: devSignIn(c.env) }))
  .post("/dev-token", async (c) => {
    if (!devSignIn(c.env)) throw new HttpError(404, "not_found", "Dev sign-in is only available in local development")
    const role = c.req.query("role") === "viewer" ? "viewer" : "owner"
    const token = await signToken(
      { sub: `${role}@${DEMO_BUSINESS}`, business_id: DEMO_BUSINESS, role },
      c.env.JWT_SECRET,
      12 * 3600,
    )
    return c.json({ token, businessId: DEMO_BUSINESS, role })
  })
