import { fileURLToPath } from "node:url";

import { beforeAll, expect, test } from "vitest";

import { loadFunctionApp, type RegisteredFunction, triggerOf } from "../../local/host/functionsCore.js";
import { applySampleSettings } from "../support/settings.js";

/**
 * The app's functions as the Azure Functions host receives them: the core metadata that
 * `@azure/functions` hands to `@azure/functions-core`, captured the way the Node worker does.
 */
const entry = fileURLToPath(new URL("../../functions/index.ts", import.meta.url));
let functions: RegisteredFunction[];

beforeAll(async () => {
  applySampleSettings();
  functions = await loadFunctionApp(entry);
});

function describeRegistration(fn: RegisteredFunction): string {
  const trigger = triggerOf(fn);
  const detail =
    trigger.type === "httpTrigger"
      ? `${String(trigger.authLevel)} ${(trigger.methods as string[]).join(",")} ${String(trigger.route)}`
      : trigger.type === "queueTrigger"
        ? `${String(trigger.queueName)} via ${String(trigger.connection)}`
        : String(trigger.schedule);
  return `${fn.metadata.name}: ${trigger.type} ${detail}`;
}

test("every function reaches the host with its name, trigger type, route and methods", () => {
  expect(functions.map(describeRegistration).sort()).toEqual(
    [
      "createProcess: httpTrigger anonymous POST processes",
      "listProcesses: httpTrigger anonymous GET processes",
      "getProcess: httpTrigger anonymous GET processes/{id}",
      "updateProcess: httpTrigger anonymous PATCH processes/{id}",
      "deleteProcess: httpTrigger anonymous DELETE processes/{id}",
      "listAccess: httpTrigger anonymous GET processes/{id}/access",
      "shareProcess: httpTrigger anonymous POST processes/{id}/access",
      "changeRole: httpTrigger anonymous PUT processes/{id}/access/{principalId}",
      "revokeAccess: httpTrigger anonymous DELETE processes/{id}/access/{principalId}",
      "resendInvitation: httpTrigger anonymous POST processes/{id}/access/{principalId}/invitation",
      "listAudit: httpTrigger anonymous GET processes/{id}/audit",
      "explainAccess: httpTrigger anonymous GET processes/{id}/access/{principalId}/explain",
      "offerOwnership: httpTrigger anonymous POST processes/{id}/transfer",
      "withdrawOwnershipOffer: httpTrigger anonymous DELETE processes/{id}/transfer",
      "acceptOwnership: httpTrigger anonymous POST processes/{id}/transfer/accept",
      "declineOwnership: httpTrigger anonymous POST processes/{id}/transfer/decline",
      "reassignOwner: httpTrigger anonymous PUT processes/{id}/owner",
      "listRecordings: httpTrigger anonymous GET processes/{id}/recordings",
      "addRecording: httpTrigger anonymous POST processes/{id}/recordings",
      "getRecording: httpTrigger anonymous GET processes/{id}/recordings/{recordingId}",
      "updateRecording: httpTrigger anonymous PATCH processes/{id}/recordings/{recordingId}",
      "deleteRecording: httpTrigger anonymous DELETE processes/{id}/recordings/{recordingId}",
      "listUsers: httpTrigger anonymous GET users",
      "getMe: httpTrigger anonymous GET me",
      "getHealth: httpTrigger anonymous GET health",
      "getOpenApiDefinition: httpTrigger anonymous GET openapi.json",
      "notFound: httpTrigger anonymous GET,POST,PUT,PATCH,DELETE,HEAD,OPTIONS {*path}",
      "sendInvitation: queueTrigger invitations via Storage",
      "sweepInvitations: timerTrigger 0 * * * * *",
      "repairLists: timerTrigger */30 * * * * *",
      "sweepExpiredRoles: timerTrigger 0 */5 * * * *",
    ].sort(),
  );
});

test("HTTP functions answer through the http return binding, as the host expects", () => {
  for (const fn of functions.filter((candidate) => triggerOf(candidate).type === "httpTrigger")) {
    expect(fn.metadata.bindings.$return).toMatchObject({ type: "http", direction: "out" });
  }
});
