import { existsSync } from "node:fs";
import Module from "node:module";
import { dirname, isAbsolute, join, resolve } from "node:path";
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

/**
 * What the worker keeps per app (azure-functions-nodejs-worker `AppContext`): `hookData` is seen
 * by the app-level hooks only (`appStart` and `appTerminate` share it), `appHookData` by every hook.
 */
interface AppState {
  readonly hookData: Record<string, unknown>;
  readonly appHookData: Record<string, unknown>;
  readonly functionAppDirectory: string;
}

const registrations: RegisteredFunction[] = [];
const hooks = new Map<HookName, HookCallback[]>();
let programmingModel: { name?: string; version?: string } | undefined;
let installed = false;
let app: AppState = { hookData: {}, appHookData: {}, functionAppDirectory: process.cwd() };
/** Set once the app has started, as the worker locks its indexing when the host asks for the functions. */
let indexingLocked = false;

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
    if (indexingLocked) {
      throw new FunctionRegistrationError("A function can only be registered during app startup.");
    }
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
      if (indexingLocked) {
        throw new FunctionRegistrationError("A function can only be disposed during app startup.");
      }
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

/** The folder of host.json at or above the entry: the function app's root, as Azure sees it. */
export function appRootOf(entry: string): string {
  for (let folder = dirname(entry); ; folder = dirname(folder)) {
    if (existsSync(join(folder, "host.json"))) return folder;
    if (dirname(folder) === folder) return dirname(entry);
  }
}

/** One property the worker hands out read-only (assigning it throws, as in the worker). */
function readOnly(target: Record<string, unknown>, name: string, get: () => unknown): void {
  Object.defineProperty(target, name, {
    enumerable: true,
    get,
    set: () => {
      throw new TypeError(`Cannot assign to read only property '${name}'`);
    },
  });
}

/** The context the worker gives app-level hooks: `functionAppDirectory` on appStart only. */
function appHookContext(hookName: "appStart" | "appTerminate"): Record<string, unknown> {
  const context: Record<string, unknown> = {};
  readOnly(context, "hookData", () => app.hookData);
  readOnly(context, "appHookData", () => app.appHookData);
  if (hookName === "appStart") context.functionAppDirectory = app.functionAppDirectory;
  return context;
}

/**
 * Starts the function app as the worker does (`startApp`): imports its entry (an ES module file),
 * runs its appStart hooks, then locks registration (the worker's `workerIndexingLocked`): a
 * function registered later throws. Returns every registration, as the Azure host reads them.
 * `appRoot` is the folder of host.json (the worker's `functionAppDirectory`); by default the one
 * at or above the entry.
 */
export async function loadFunctionApp(
  entry: string,
  options: { readonly appRoot?: string } = {},
): Promise<RegisteredFunction[]> {
  installFunctionsCore();
  const path = isAbsolute(entry) ? entry : resolve(entry);
  // A new worker process in Azure: fresh hook data for each start.
  app = { hookData: {}, appHookData: {}, functionAppDirectory: resolve(options.appRoot ?? appRootOf(path)) };
  try {
    await import(pathToFileURL(path).href);
    if (registrations.length === 0) {
      throw new FunctionRegistrationError(
        `${entry} registered no functions: does it import every function file, and was @azure/functions loaded before the local host?`,
      );
    }
    await runAppHooks("appStart");
  } finally {
    indexingLocked = true;
  }
  return [...registrations];
}

export async function runAppHooks(hookName: "appStart" | "appTerminate"): Promise<void> {
  const context = appHookContext(hookName);
  for (const hook of hooksFor(hookName)) await hook(context);
}

/** The `appHookData` every invocation hook sees (one object per app start). */
export function appHookData(): Record<string, unknown> {
  return app.appHookData;
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
