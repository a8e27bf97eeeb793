/** Per-chat conversation memory for the AI handler, trimmed to the handler's maxHistory. */
import type { ChatTurn } from "../handlers/types"

export class ChatHistory {
  constructor(private readonly sql: SqlStorage) {}

  /** The last `limit` turns of a chat, oldest first. */
  recent(chatId: string, limit: number): ChatTurn[] {
    return this.sql
      .exec<{ role: string; content: string }>(
        "SELECT role, content FROM (SELECT id, role, content FROM history WHERE chat_id = ? ORDER BY id DESC LIMIT ?) ORDER BY id",
        chatId,
        limit,
      )
      .toArray()
      .map((r) => ({ role: r.role === "assistant" ? "assistant" : "user", content: r.content }))
  }

  append(chatId: string, turns: ChatTurn[], keep: number): void {
    const now = Date.now()
    for (const t of turns) {
      this.sql.exec(
        "INSERT INTO history (chat_id, role, content, at) VALUES (?, ?, ?, ?)",
        chatId,
        t.role,
        t.content,
        now,
      )
    }
    this.sql.exec(
      "DELETE FROM history WHERE chat_id = ? AND id NOT IN (SELECT id FROM history WHERE chat_id = ? ORDER BY id DESC LIMIT ?)",
      chatId,
      chatId,
      keep,
    )
  }
}
