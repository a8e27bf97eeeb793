/**
 * What a bot learns about a person: each chat a person wrote from becomes an identity of a contact (created for it
 * the first time), with the last time they wrote and their opt-out. Reported to the registry hub with the bot's
 * rollups (registry/hub-statements.ts writes it), never per webhook.
 */
export interface LearnedIdentity {
  chatId: string
  /** The contact to create when the registry has no identity for this chat yet (made once by the bot's object). */
  contactId: string
  displayName: string | null
  lastInboundAt: number | null
  optedOut: boolean
}
