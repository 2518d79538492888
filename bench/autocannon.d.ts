// autocannon ships no types; this is the part of its programmatic API the load generator uses.
declare module "autocannon" {
  import type { EventEmitter } from "node:events";

  interface AutocannonResult {
    readonly requests: { readonly total: number; readonly average: number };
    readonly errors: number;
    readonly timeouts: number;
    readonly non2xx: number;
  }
  interface AutocannonInstance extends EventEmitter, PromiseLike<AutocannonResult> {
    stop(): void;
  }
  function autocannon(options: Record<string, unknown>): AutocannonInstance;
  export default autocannon;
}
