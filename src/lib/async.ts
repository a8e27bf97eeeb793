/** Small promise helpers. */

/** Whether `promise` settles within `ms` (it keeps running either way). */
export function settledWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | null = null
  const tick = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms)
  })
  const settled = promise.then(
    () => true,
    () => true,
  )
  return Promise.race([settled, tick]).finally(() => {
    if (timer !== null) clearTimeout(timer)
  })
}

/** A wake-up call: `wait()` resolves at the next `fire()`. Every wait until then shares one promise. */
export class Signal {
  private next: { promise: Promise<void>; resolve: () => void } | null = null

  wait(): Promise<void> {
    if (!this.next) {
      let resolve: () => void = () => {}
      const promise = new Promise<void>((r) => {
        resolve = r
      })
      this.next = { promise, resolve }
    }
    return this.next.promise
  }

  fire(): void {
    this.next?.resolve()
    this.next = null
  }
}

/** Resolves on a later turn of the event loop (a macrotask): what is waiting for the thread (requests, I/O) runs first. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0))
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
