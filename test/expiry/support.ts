import azureFunctions from "@azure/functions";

import { changeRole, listAccess, listAudit, shareProcess } from "../../functions/access.js";
import { sweepExpiredRoles } from "../../functions/expiry.js";
import { processPath, type TestApp } from "../support/app.js";

const { InvocationContext } = azureFunctions;

export const hourMs = 3_600_000;

export function share(app: TestApp, as: string, id: string, body: Record<string, unknown>) {
  return app.call(shareProcess, {
    method: "POST",
    as,
    ...processPath(id, "/access"),
    body: { sendInvitation: false, ...body },
  });
}

export function change(
  app: TestApp,
  as: string,
  id: string,
  principalId: string,
  body: Record<string, unknown>,
) {
  return app.call(changeRole, {
    method: "PUT",
    as,
    path: `/api/processes/${id}/access/${principalId}`,
    params: { id, principalId },
    body: { sendInvitation: false, ...body },
  });
}

export async function accessOf(app: TestApp, as: string, id: string, principalId: string): Promise<any> {
  const list = await app.call(listAccess, { as, ...processPath(id, "/access") });
  return list.body.value.find((entry: { principalId: string }) => entry.principalId === principalId);
}

export async function auditOf(app: TestApp, as: string, id: string): Promise<any[]> {
  const audit = await app.call(listAudit, { as, ...processPath(id, "/audit?top=100") });
  return audit.body.value;
}

/** Runs the expiry timer function as the host would. */
export async function sweep(): Promise<void> {
  await sweepExpiredRoles(
    {
      isPastDue: false,
      schedule: { adjustForDST: false },
      scheduleStatus: { last: "", next: "", lastUpdated: "" },
    },
    new InvocationContext({ invocationId: "expiry", functionName: "sweepExpiredRoles" }),
  );
}

/** An expiry `ms` from the clock's now. */
export function inFuture(now: Date, ms: number): string {
  return new Date(now.getTime() + ms).toISOString();
}
