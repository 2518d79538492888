import azureFunctions, { type InvocationContext, type Timer } from "@azure/functions";
import { z } from "zod";

import { guidSchema, principalParamsSchema } from "../shared/api.js";
import { getServices } from "../shared/composition.js";
import { authenticated, json, parseParams } from "../shared/http.js";
import { invitationQueueName } from "../shared/storage/invitationQueue.js";

const { app } = azureFunctions;

/** What the share path and the sweeper put on the queue (`InvitationMessage`). */
const invitationMessageSchema = z.strictObject({ processId: guidSchema, invitationId: guidSchema });

/**
 * Sends one invitation. A throw gives the message back to the queue (the mail service is
 * unavailable, storage failed); on the last delivery the sender marks the invitation `failed`
 * first, and the host moves the message to `invitations-poison`.
 */
export async function sendInvitation(queueItem: unknown, context: InvocationContext): Promise<void> {
  const services = getServices();
  const parsed = invitationMessageSchema.safeParse(
    typeof queueItem === "string" ? parseJson(queueItem) : queueItem,
  );
  if (!parsed.success) {
    // No delivery of this message can ever succeed: retrying it would only delay the poison queue.
    context.error("Not an invitation message; dropped.", { messageId: context.triggerMetadata?.id });
    return;
  }
  const dequeueCount = Number(context.triggerMetadata?.dequeueCount ?? 1);
  const delivery = { dequeueCount, maxDequeueCount: services.queueSettings.maxDequeueCount };
  try {
    await services.ready();
    const result = await services.invitationSender.deliver(parsed.data, delivery);
    context.log("Invitation delivered.", { ...parsed.data, dequeueCount, ...result });
  } catch (error) {
    const last = dequeueCount >= delivery.maxDequeueCount;
    context.warn(
      last ? "Invitation failed on its last delivery." : "Invitation not sent; the queue retries it.",
      {
        ...parsed.data,
        dequeueCount,
        error: error instanceof Error ? error.message : String(error),
      },
    );
    throw error;
  }
}

/** Hands over again what a crash or a queue outage left behind. */
export async function sweepInvitations(_timer: Timer, context: InvocationContext): Promise<void> {
  const services = getServices();
  await services.ready();
  const report = await services.invitationSweeper.sweep();
  if (report.examined > 0) context.log("Invitation sweep.", report);
}

/** 202: the new invitation is on its way; its status shows in the access list. */
export const resendInvitation = authenticated(async ({ request, caller, services }) => {
  const { id, principalId } = parseParams(request, principalParamsSchema);
  const result = await services.invitationResender.resend(caller, id, principalId);
  return json(202, { principalId: result.principalId, invitation: { status: result.invitation.status } });
});

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

app.storageQueue("sendInvitation", {
  queueName: invitationQueueName,
  connection: "Storage",
  handler: sendInvitation,
});
// Every minute: a lost hand-over waits at most the grace period and a minute.
app.timer("sweepInvitations", { schedule: "0 * * * * *", handler: sweepInvitations });
app.http("resendInvitation", {
  route: "processes/{id}/access/{principalId}/invitation",
  methods: ["POST"],
  authLevel: "anonymous",
  handler: resendInvitation,
});
