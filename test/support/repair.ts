import { randomUUID } from "node:crypto";

import azureFunctions, { type Timer } from "@azure/functions";

import { sweepInvitations } from "../../functions/invitations.js";
import { repairLists } from "../../functions/processes.js";
import { useServices } from "../../shared/composition.js";
import type { TestApp } from "./app.js";

const { InvocationContext } = azureFunctions;

/**
 * The app's timer functions that repair what a crash or an outage left behind, as the host would
 * run them: the list repair sweep (rows written ahead of a commit) and the invitation sweeper.
 * The crash test runs every timer through the host.
 */
const repairTimers: readonly ((
  timer: Timer,
  context: InstanceType<typeof InvocationContext>,
) => Promise<void>)[] = [repairLists, sweepInvitations];

export async function runRepairTimers(app: TestApp): Promise<void> {
  for (const handler of repairTimers) {
    useServices(app.services);
    const context = new InvocationContext({
      invocationId: randomUUID(),
      functionName: handler.name,
      logHandler: (level, ...args) => app.logs.push(`${level}: ${args.map(String).join(" ")}`),
    });
    await handler(
      { isPastDue: false, scheduleStatus: { last: "", next: "", lastUpdated: "" } } as Timer,
      context,
    );
  }
}
