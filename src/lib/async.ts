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
