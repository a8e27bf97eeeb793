/**
 * Opaque list cursors: base64url of a marker and the last item's id. Checked on the way back in: a cursor this API
 * did not issue (another list's, a forged one) is a 400 `invalid_cursor`, never a query.
 */
import { fromBase64Url, fromUtf8, toBase64Url, utf8 } from "./encoding"
import { HttpError } from "./errors"

export interface PageCursor {
  encode(lastId: string): string
  decode(cursor: string): string
}

/** `mark` names the list; `accepts` says whether an id could be one of its items. */
export function pageCursor(mark: string, accepts: (id: string) => boolean): PageCursor {
  const prefix = `${mark}:`
  return {
    encode: (lastId) => toBase64Url(utf8(prefix + lastId)),
    decode(cursor) {
      const bytes = fromBase64Url(cursor)
      const text = bytes ? fromUtf8(bytes) : ""
      const id = text.slice(prefix.length)
      if (!text.startsWith(prefix) || !accepts(id))
        throw new HttpError(400, "invalid_cursor", "cursor is not one this API issued")
      return id
    },
  }
}
