import Module from "node:module";
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";

/**
 * `@azure/functions-core` for this process, provided the way the Azure Node worker provides it
 * (azure-functions-nodejs-worker `setupCoreModule`): `require("@azure/functions-core")` answers
 * our object, so `app.http(...)` and friends register here exactly as they register with Azure.
 */

/** One binding as `toCoreFunctionMetadata` writes it (trigger, inputs, `$return`, outputs). */
export interface BindingMetadata {
  readonly type: string;
  readonly direction: "in" | "out";
  readonly name: string;
  readonly [setting: string]: unknown;
}

export interface FunctionMetadata {
  readonly name: string;
  readonly bindings: Readonly<Record<string, BindingMetadata>>;
  readonly retryOptions?: unknown;
}

export type FunctionCallback = (...args: unknown[]) => unknown;

export interface RegisteredFunction {
  readonly metadata: FunctionMetadata;
  readonly handler: FunctionCallback;
}

export type HookName = "appStart" | "appTerminate" | "preInvocation" | "postInvocation" | "log";
type HookCallback = (context: Record<string, unknown>) => unknown;

export class Disposable {
  readonly #dispose: () => void;
  constructor(dispose: () => void) {
    this.#dispose = dispose;
  }
  dispose(): void {
    this.#dispose();
  }
}

export class FunctionRegistrationError extends Error {
  override readonly name = "FunctionRegistrationError";
}

const registrations: RegisteredFunction[] = [];
const hooks = new Map<HookName, HookCallback[]>();
let programmingModel: { name?: string; version?: string } | undefined;
let installed = false;

/** The object that `require("@azure/functions-core")` returns, as in the worker. */
const coreApi = {
  version: "3.x-local",
  hostVersion: "4.x-local",
  Disposable,
  setProgrammingModel(model: { name?: string; version?: string }): void {
    programmingModel = model;
  },
  getProgrammingModel(): unknown {
    return programmingModel;
  },
  registerFunction(metadata: FunctionMetadata, handler: FunctionCallback): Disposable {
    if (
      registrations.some(
        (registered) => registered.metadata.name.toLowerCase() === metadata.name.toLowerCase(),
      )
    ) {
      throw new FunctionRegistrationError(`A function named "${metadata.name}" is already registered.`);
    }
    const registration = { metadata, handler };
    registrations.push(registration);
    return new Disposable(() => {
      const index = registrations.indexOf(registration);
      if (index >= 0) registrations.splice(index, 1);
    });
  },
  registerHook(hookName: HookName, callback: HookCallback): Disposable {
    const list = hooks.get(hookName) ?? [];
    list.push(callback);
    hooks.set(hookName, list);
    return new Disposable(() => {
      const index = list.indexOf(callback);
      if (index >= 0) list.splice(index, 1);
    });
  },
  /** The library's own system log (warnings about the programming model and the like). */
  log(level: string, category: string, message: string): void {
    if (level === "error" || level === "warning")
      console.warn(`[functions ${category}] ${level}: ${message}`);
  },
};

/** Hooks Node's module loading the way the worker does; idempotent. */
export function installFunctionsCore(): void {
  if (installed) return;
  installed = true;
  const proto = Module.prototype as { require: (id: string) => unknown };
  proto.require = new Proxy(proto.require, {
    apply(target, thisArg: unknown, args: [string]): unknown {
      return args[0] === "@azure/functions-core" ? coreApi : Reflect.apply(target, thisArg, args);
    },
  });
}

// Installed on import too, so that importing the host before the app is enough (the library caches the lookup).
installFunctionsCore();

/** Every function registered so far in this process. */
export function registeredFunctions(): readonly RegisteredFunction[] {
  return [...registrations];
}

export function hooksFor(hookName: HookName): readonly HookCallback[] {
  return [...(hooks.get(hookName) ?? [])];
}

/**
 * Installs the core module, imports the function app's entry (an ES module file) and runs its
 * appStart hooks; returns every registration, as the Azure host would read them.
 */
export async function loadFunctionApp(entry: string): Promise<RegisteredFunction[]> {
  installFunctionsCore();
  const path = isAbsolute(entry) ? entry : resolve(entry);
  await import(pathToFileURL(path).href);
  if (registrations.length === 0) {
    throw new FunctionRegistrationError(
      `${entry} registered no functions: does it import every function file, and was @azure/functions loaded before the local host?`,
    );
  }
  await runAppHooks("appStart", path);
  return [...registrations];
}

const appHookData: Record<string, unknown> = {};

export async function runAppHooks(hookName: "appStart" | "appTerminate", entry: string): Promise<void> {
  for (const hook of hooksFor(hookName)) {
    await hook({ hookData: {}, appHookData, functionAppDirectory: resolve(entry, "..") });
  }
}

/** The trigger binding of a registration (every function has exactly one). */
export function triggerOf(fn: RegisteredFunction): BindingMetadata {
  const trigger = Object.values(fn.metadata.bindings).find(
    (binding) => binding.direction === "in" && binding.type.toLowerCase().endsWith("trigger"),
  );
  if (trigger === undefined)
    throw new FunctionRegistrationError(`Function "${fn.metadata.name}" has no trigger.`);
  return trigger;
}

export { appHookData };
