// The one Node API the worker uses (nodejs_compat provides it in workerd): @types/node is for the Node-side scripts
// and must not leak Node's globals into the worker's types.
declare module "node:async_hooks" {
  export class AsyncLocalStorage<T> {
    run<R>(store: T, fn: () => R): R
    getStore(): T | undefined
  }
}
