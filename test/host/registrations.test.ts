import { fileURLToPath } from "node:url";

import azureFunctions from "@azure/functions";
import { beforeAll, expect, test } from "vitest";

import {
  loadFunctionApp,
  type RegisteredFunction,
  registeredFunctions,
  runAppHooks,
  triggerOf,
} from "../../local/host/functionsCore.js";
import { httpRoutesOf } from "../../local/host/httpServer.js";
import { received } from "./fixtures/app.js";

const entry = fileURLToPath(new URL("./fixtures/app.ts", import.meta.url));
let functions: RegisteredFunction[];

beforeAll(async () => {
  functions = await loadFunctionApp(entry);
});

const byName = (name: string): RegisteredFunction => {
  const fn = functions.find((candidate) => candidate.metadata.name === name);
  if (fn === undefined) throw new Error(`${name} is not registered`);
  return fn;
};

test("every function registered the usual way reaches the host as core metadata", () => {
  expect(functions.map((fn) => fn.metadata.name).sort()).toEqual(
    [
      "alwaysFails",
      "binary",
      "broken",
      "cookies",
      "echo",
      "files",
      "getProcess",
      "listProcesses",
      "processReport",
      "receiveWork",
      "streamed",
      "tick",
    ].sort(),
  );
  for (const fn of functions) expect(typeof fn.handler).toBe("function");
});

test("an HTTP registration carries its trigger type, route, methods and an http return binding", () => {
  const echo = byName("echo");
  expect(triggerOf(echo)).toMatchObject({
    type: "httpTrigger",
    direction: "in",
    route: "echo/{name?}",
    methods: ["GET", "POST", "PUT"],
    authLevel: "anonymous",
  });
  expect(echo.metadata.bindings.$return).toMatchObject({ type: "http", direction: "out" });
});

test("a queue registration carries its queue name expression and connection name", () => {
  expect(triggerOf(byName("receiveWork"))).toMatchObject({
    type: "queueTrigger",
    queueName: "%HOST_TEST_WORK_QUEUE%",
    connection: "HostTestStorage",
  });
});

test("a timer registration carries its schedule", () => {
  expect(triggerOf(byName("tick"))).toMatchObject({
    type: "timerTrigger",
    schedule: "*/1 * * * * *",
    runOnStartup: false,
  });
});

test("the host's HTTP routes are the registrations' routes under the route prefix", () => {
  const routes = httpRoutesOf(functions, "api");
  const httpFunctions = functions.filter((fn) => triggerOf(fn).type === "httpTrigger");
  expect(routes).toHaveLength(httpFunctions.length);
  for (const fn of httpFunctions) {
    const trigger = triggerOf(fn);
    const route = routes.find((candidate) => candidate.functionName === fn.metadata.name);
    expect(route?.route).toBe(`api/${typeof trigger.route === "string" ? trigger.route : fn.metadata.name}`);
    expect(route?.methods).toEqual(trigger.methods);
  }
  expect(httpRoutesOf(functions, "").find((route) => route.functionName === "binary")?.route).toBe("binary");
});

test("appStart hooks run once when the app is loaded", () => {
  expect(received.appStarted).toBe(1);
});

test("a function registered after start-up throws as in the worker, and is not registered", () => {
  const count = functions.length;
  expect(() => {
    azureFunctions.app.http("registeredLate", { methods: ["GET"], handler: () => ({ status: 200 }) });
  }).toThrow("A function can only be registered during app startup.");
  expect(registeredFunctions().map((fn) => fn.metadata.name)).not.toContain("registeredLate");
  expect(registeredFunctions()).toHaveLength(count);
});

test("appStart and appTerminate share one hookData, as the worker's app-level hooks do", async () => {
  await runAppHooks("appTerminate");
  const [start, terminate] = received.appHookData;
  expect(received.appHookData.map((entry) => entry.hook)).toEqual(["appStart", "appTerminate"]);
  expect(terminate?.hookData).toBe(start?.hookData);
  expect(terminate?.hookData).toEqual({ startedBy: "appStart" });
});
