import { BadRequestError } from "../errors.js";
import type { Recipient, ResolvedRecipient } from "../ports.js";
import type { ProcessAccess } from "./authorization.js";
import { checkExpiry, noticeTime, planExpiring } from "./expiry.js";
import type { Caller, GrantableRole, ProcessKind, Role, StoredProcess } from "./model.js";
import { isRoleOfKind } from "./permissions.js";
import type { RoleChanges } from "./roleChanges.js";
import { type ShareStatus } from "./rolePlan.js";
import type { SharingPorts } from "./sharingCore.js";

export interface ShareRequest {
  readonly role: GrantableRole;
  readonly recipients: readonly Recipient[];
  readonly sendInvitation: boolean;
  readonly message?: string;
  /** When every role this share grants ends (one expiry per request); absent or null: it does not. */
  readonly expiresAt?: string | null;
  /** How long (ms) before `expiresAt` to email each recipient that their role ends. */
  readonly notifyBeforeExpiry?: number;
}

export interface ShareResult {
  readonly recipient: Recipient;
  readonly principalId?: string;
  readonly status: ShareStatus;
  readonly error?: { readonly code: string; readonly detail: string };
}

/** Changes committed in one entity-group transaction (at most 100 operations: 1 + 3 per change). */
const maxChangesPerCommit = 33;

/**
 * Share: grants `role` to each recipient; per-recipient results, in the order given. Recipients
 * are resolved to principals first; a principal named twice is granted once, for its first
 * occurrence, and each later one fails with `duplicate_recipient`. A large share commits in
 * groups, each authorized afresh on the row it commits on.
 */
export class ShareProcess {
  constructor(
    private readonly ports: SharingPorts,
    private readonly access: ProcessAccess,
    private readonly roleChanges: RoleChanges,
  ) {}

  async share(caller: Caller, processId: string, request: ShareRequest): Promise<ShareResult[]> {
    const first = await this.access.loadAuthorized(caller, processId, "share");
    if (!isRoleOfKind(first.process.kind, request.role))
      throw roleNotAllowed(first.process.kind, request.role);
    const expiresAt = checkExpiry(request.expiresAt, this.ports.clock.now());
    const noticeAt = noticeTime(expiresAt, request.notifyBeforeExpiry, this.ports.clock.now());

    const resolved = await this.ports.directory.resolve(request.recipients);
    const seen = new Set<string>();
    const results: ShareResult[] = request.recipients.map((recipient, index) => {
      const result = recipientResult(recipient, resolved[index], caller, first.process);
      if (result.principalId === undefined) return result;
      if (seen.has(result.principalId)) return duplicate(recipient, result.principalId);
      seen.add(result.principalId);
      return result;
    });
    const targets = results.flatMap((result, index) =>
      result.status === "failed" || result.principalId === undefined
        ? []
        : [{ index, principalId: result.principalId }],
    );
    for (let start = 0; start < targets.length; start += maxChangesPerCommit) {
      const group = targets.slice(start, start + maxChangesPerCommit);
      const planned = await this.roleChanges.apply({
        caller,
        processId,
        action: "share",
        ...(start === 0 && { first }),
        // Whoever became owner since the first read (a transfer) is refused below, not changed.
        planFor: (current) =>
          group
            .filter(({ principalId }) => principalId !== current.ownerId)
            .map(({ index, principalId }) =>
              planExpiring(
                index,
                principalId,
                current,
                request.role,
                expiresAt,
                this.ports.clock.now(),
                "share",
                noticeAt,
              ),
            ),
        sendInvitation: request.sendInvitation,
        ...(request.message !== undefined && { message: request.message }),
      });
      for (const change of planned) {
        const result = results[change.index];
        if (result !== undefined) results[change.index] = { ...result, status: change.status };
      }
      for (const { index, principalId } of group) {
        const result = results[index];
        if (result !== undefined && !planned.some((change) => change.index === index))
          results[index] = { ...result, ...ownerFailure(principalId) };
      }
    }
    return results;
  }
}

function ownerFailure(principalId: string): Pick<ShareResult, "principalId" | "status" | "error"> {
  return {
    principalId,
    status: "failed",
    error: { code: "cannot_share_with_owner", detail: "The owner's role cannot be granted or changed." },
  };
}

export function roleNotAllowed(kind: ProcessKind, role: Role): BadRequestError {
  return new BadRequestError("role_not_allowed_for_kind", `A ${kind} process has no '${role}' role.`);
}

function duplicate(recipient: Recipient, principalId: string): ShareResult {
  return {
    recipient,
    principalId,
    status: "failed",
    error: { code: "duplicate_recipient", detail: "This person is named earlier in the same request." },
  };
}

function recipientResult(
  recipient: Recipient,
  resolved: ResolvedRecipient | undefined,
  caller: Caller,
  process: StoredProcess,
): ShareResult {
  const fail = (code: string, detail: string): ShareResult => ({
    recipient,
    status: "failed",
    error: { code, detail },
  });
  switch (resolved?.outcome) {
    case "group":
      return fail("groups_not_supported", "Processes can be shared with users only, not with groups.");
    case "disabled":
      return fail("principal_disabled", "That user's account is disabled.");
    case "notFound":
    case undefined:
      return fail("principal_not_found", "No user of this organization matches that recipient.");
    case "user": {
      const principalId = resolved.user.id.toLowerCase();
      if (principalId === process.ownerId) {
        return {
          ...fail("cannot_share_with_owner", "The owner's role cannot be granted or changed."),
          principalId,
        };
      }
      if (principalId === caller.id) {
        return { ...fail("cannot_share_with_self", "You cannot change your own role."), principalId };
      }
      return { recipient, principalId, status: "unchanged" };
    }
  }
}
