/**
 * Group commit for a Durable Object's SQLite storage.
 *
 * Each write outside an explicit transaction is committed by the runtime in its own implicit transaction, and on
 * local workerd that commit (not the INSERT) is most of a webhook's cost: one object that inserts one row per call
 * tops out at ~0.45 of a bare route, the same object inserting ten rows per call at the same calls/s
 * (`npm run bench -- --floor`). So writes that arrive while the previous batch's commit is still settling are
 * queued and written together, in one transaction: one commit for many webhooks.
 *
 * A lone write is not delayed: the first `submit` writes at once. A caller's promise settles before the commit
 * completes, but the runtime's output gate holds the RPC's answer (the 200) until that commit is durable, as for
 * any write, so "stored before acknowledged" holds.
 */

import { err, ok, type Result } from "../lib/result"

/** An input's outcome: its write's value, or what its write (or the storage) threw. */
export type Written<O> = Result<O, unknown>

/** What group commit needs of the object's storage. */
export type CommitStorage = Pick<DurableObjectStorage, "transactionSync" | "sync">

interface Waiting<I, O> {
  input: I
  settle: (out: Written<O>) => void
}

export class GroupCommit<I, O> {
  private queue: Waiting<I, O>[] = []
  private draining = false

  /**
   * `write` runs for one input inside the batch's transaction; if it throws, only that input's changes are
   * rolled back and only its caller sees the error. `finish` runs once per batch in the same transaction, after
   * the inputs, with the ones that were written: for what they share (one counters upsert, not one each).
   */
  constructor(
    private readonly storage: CommitStorage,
    private readonly write: (input: I) => O,
    private readonly finish?: (written: { input: I; value: O }[]) => void,
  ) {}

  /** Writes `input` with whatever else is waiting; resolves with its result or the error its write threw. */
  submit(input: I): Promise<Written<O>> {
    return new Promise((settle) => {
      this.queue.push({ input, settle })
      if (!this.draining) void this.drain()
    })
  }

  private async drain(): Promise<void> {
    this.draining = true
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0)
        let results: Written<O>[]
        try {
          results = this.writeBatch(batch.map((waiting) => waiting.input))
        } catch (error) {
          results = batch.map(() => err(error))
        }
        for (const [i, waiting] of batch.entries()) waiting.settle(results[i] ?? err("no result"))
        // Whatever arrives while this batch commits goes into the next one.
        await this.storage.sync()
      }
    } catch (error) {
      // Storage itself failed (the object is about to be reset): nobody waiting may think they were stored.
      for (const waiting of this.queue.splice(0)) waiting.settle(err(error))
    } finally {
      this.draining = false
    }
  }

  /**
   * All inputs in one transaction. If one throws, the whole batch rolls back and is written again with a savepoint
   * per input, so only the one that failed is left out: the common case pays no savepoint.
   */
  private writeBatch(inputs: I[]): Written<O>[] {
    try {
      return this.storage.transactionSync(() => {
        const written = inputs.map((input) => ({ input, value: this.write(input) }))
        this.finish?.(written)
        return written.map(({ value }): Written<O> => ok(value))
      })
    } catch {
      return this.storage.transactionSync(() => {
        const results = inputs.map((input) => this.writeOne(input))
        const written: { input: I; value: O }[] = []
        for (const [i, result] of results.entries()) {
          const input = inputs[i]
          if (result.ok && input !== undefined) written.push({ input, value: result.value })
        }
        this.finish?.(written)
        return results
      })
    }
  }

  private writeOne(input: I): Written<O> {
    try {
      return ok(this.storage.transactionSync(() => this.write(input)))
    } catch (error) {
      return err(error)
    }
  }
}
