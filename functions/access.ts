import azureFunctions from "@azure/functions";

import {
  changeRoleSchema,
  pageQuerySchema,
  principalParamsSchema,
  processParamsSchema,
  shareSchema,
} from "../shared/api.js";
import { AppError, BadRequestError, isProblemCode } from "../shared/errors.js";
import {
  authenticated,
  json,
  noContent,
  openStoragePosition,
  pageBody,
  parseParams,
  parseQuery,
  readJsonBody,
} from "../shared/http.js";

const { app } = azureFunctions;

export const listAccess = authenticated(async ({ request, caller, services }) => {
  const { id } = parseParams(request, processParamsSchema);
  return json(200, { value: await services.useCases.listAccess.list(caller, id) });
});

/**
 * 200 when every recipient succeeded, 207 when some failed, 400 when all failed. The counts are in
 * the body because Power Automate takes a 207 for success: a flow branches on `failed`.
 */
export const shareProcess = authenticated(async ({ request, caller, services }) => {
  const { id } = parseParams(request, processParamsSchema);
  const share = await readJsonBody(request, shareSchema);
  const results = await services.useCases.shareProcess.share(caller, id, share);
  const failed = results.filter((result) => result.status === "failed").length;
  if (failed === results.length) throw new ShareFailedError(results);
  return json(failed === 0 ? 200 : 207, { value: results, succeeded: results.length - failed, failed });
});

export const changeRole = authenticated(async ({ request, caller, services }) => {
  const { id, principalId } = parseParams(request, principalParamsSchema);
  const change = await readJsonBody(request, changeRoleSchema);
  return json(200, await services.useCases.changeRole.change(caller, id, principalId, change));
});

export const revokeAccess = authenticated(async ({ request, caller, services }) => {
  const { id, principalId } = parseParams(request, principalParamsSchema);
  await services.useCases.revokeAccess.revoke(caller, id, principalId);
  return noContent();
});

export const listAudit = authenticated(async (call) => {
  const { id } = parseParams(call.request, processParamsSchema);
  const { top, continuationToken } = parseQuery(call.request, pageQuerySchema);
  const binding = { route: "audit", resource: id };
  const position = openStoragePosition(call, binding, continuationToken);
  const page = await call.services.useCases.listAudit.list(call.caller, id, top, position);
  return json(200, pageBody(call, binding, top, page));
});

/** Every recipient failed: a 400 whose code is theirs when they agree, with each result attached. */
class ShareFailedError extends BadRequestError {
  constructor(private readonly results: readonly { error?: { code: string; detail: string } }[]) {
    const codes = new Set(results.map((result) => result.error?.code));
    const [only] = codes;
    const first = results[0]?.error;
    super(
      codes.size === 1 && only !== undefined && isProblemCode(only) ? only : "share_failed",
      codes.size === 1 && first !== undefined
        ? first.detail
        : "No recipient could be given the role; see value.",
    );
  }

  override toProblem(): ReturnType<AppError["toProblem"]> {
    return { ...super.toProblem(), value: this.results };
  }
}

/** Why a person has, or lacks, each action on a process (viewAccess, or about yourself). */
export const explainAccess = authenticated(async ({ request, caller, services }) => {
  const { id, principalId } = parseParams(request, principalParamsSchema);
  return json(200, await services.useCases.explainAccess.explain(caller, id, principalId));
});

const access = "processes/{id}/access";
app.http("listAccess", { route: access, methods: ["GET"], authLevel: "anonymous", handler: listAccess });
app.http("shareProcess", { route: access, methods: ["POST"], authLevel: "anonymous", handler: shareProcess });
app.http("changeRole", {
  route: `${access}/{principalId}`,
  methods: ["PUT"],
  authLevel: "anonymous",
  handler: changeRole,
});
app.http("revokeAccess", {
  route: `${access}/{principalId}`,
  methods: ["DELETE"],
  authLevel: "anonymous",
  handler: revokeAccess,
});
app.http("explainAccess", {
  route: `${access}/{principalId}/explain`,
  methods: ["GET"],
  authLevel: "anonymous",
  handler: explainAccess,
});
app.http("listAudit", {
  route: "processes/{id}/audit",
  methods: ["GET"],
  authLevel: "anonymous",
  handler: listAudit,
});
