/**
 * The business's alert settings (docs/alerts.md): where its bots' alerts are posted, the thresholds, and the signing
 * secret, shown once when issued or rotated. The business is the token's, always.
 */
import { createRoute, z } from "@hono/zod-openapi"
import type { Context } from "hono"
import { requireAuth, requireWriter } from "../auth/jwt"
import type { AppEnv } from "../env"
import { orThrow } from "../lib/errors"
import { redactUrl } from "../lib/url-guard"
import { type AlertSettingsView, alertSettingsInputSchema, alertSettingsViewSchema } from "../registry/alert-settings"
import { type AlertSettingsWrite, createAlertService } from "../services/alert-service"
import { commonErrors, createOpenApiApp, errorResponse } from "./openapi"

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
})

const writtenSchema = alertSettingsViewSchema
  .extend({
    signingSecret: z.string().optional().openapi({
      description: "The signing secret, present only in the answer that issued it: keep it, it is never shown again",
    }),
  })
  .openapi("AlertSettingsWritten")

const forbidden = errorResponse("Viewers cannot write")
const write = [requireAuth, requireWriter]
const service = (c: Context<AppEnv>) => createAlertService(c.env, c.var.auth)

/** Viewers see the URL without user name, password or query values (they can hold keys). */
const visible = (c: Context<AppEnv>, view: AlertSettingsView): AlertSettingsView =>
  c.var.auth.role === "viewer" && view.url !== null ? { ...view, url: redactUrl(view.url) } : view

const written = (w: AlertSettingsWrite) => ({
  ...w.settings,
  ...(w.issuedSecret === undefined ? {} : { signingSecret: w.issuedSecret }),
})

export const alertSettingsApp = createOpenApiApp()
  .openapi(
    createRoute({
      method: "get",
      path: "/settings/alerts",
      operationId: "getAlertSettings",
      tags: ["Alerts"],
      summary: "The business's alert settings (alerts off, default thresholds, until saved); never the secret",
      middleware: [requireAuth],
      responses: { 200: json(alertSettingsViewSchema, "The alert settings"), ...commonErrors },
    }),
    async (c) => c.json(visible(c, await service(c).get()), 200),
  )
  .openapi(
    createRoute({
      method: "put",
      path: "/settings/alerts",
      operationId: "putAlertSettings",
      tags: ["Alerts"],
      summary:
        "Replace the business's alert settings; omitted fields take their defaults. The first URL saved issues " +
        "the signing secret, returned once as `signingSecret`",
      middleware: write,
      request: { body: { content: { "application/json": { schema: alertSettingsInputSchema } }, required: true } },
      responses: {
        200: json(writtenSchema, "The saved settings (with `signingSecret` when this call issued it)"),
        403: forbidden,
        ...commonErrors,
        422: errorResponse("`validation_failed`: e.g. `url` is not https:, or points at a private or local address"),
      },
    }),
    async (c) => c.json(written(orThrow(await service(c).put(c.req.valid("json")))), 200),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/settings/alerts/rotate-secret",
      operationId: "rotateAlertSecret",
      tags: ["Alerts"],
      summary:
        "Issue a new signing secret for alerts, returned once as `signingSecret`; bots sign with it within 30 seconds",
      middleware: write,
      responses: {
        200: json(writtenSchema.required({ signingSecret: true }), "The settings and the new secret"),
        403: forbidden,
        ...commonErrors,
      },
    }),
    async (c) => {
      const rotated = await service(c).rotateSecret()
      return c.json({ ...rotated.settings, signingSecret: rotated.issuedSecret }, 200)
    },
  )
