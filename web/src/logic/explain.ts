import type { Action } from "../api.js";
import type { Kind, Role } from "./roles.js";
import { roleLabel } from "./roles.js";

/**
 * The explanation of a person's access (GET /api/processes/{id}/access/{principalId}/explain)
 * in words. The API decides; this only says, per action, which rule granted or denied it.
 */

/** The actions an explanation covers: every action the API knows. */
export type ExplainAction = Action;

export type Denial = "revoked" | "expired" | "noRole" | "notARoleOfKind" | "roleDoesNotInclude" | "noOffer";

export interface ExplainedGrant {
  readonly source: "owner" | "role" | "pendingOwner" | "administrator" | "sharePrivilege";
  readonly role?: Exclude<Role, "owner">;
  readonly expiresAt?: string;
  readonly appRole?: string;
  readonly offeredAt?: string;
  readonly offeredBy?: string;
}

export interface ExplainedAction {
  readonly action: ExplainAction;
  readonly granted: boolean;
  readonly grants?: readonly ExplainedGrant[];
  readonly denial?: Denial;
}

export interface Explanation {
  readonly processId: string;
  readonly kind: Kind;
  readonly principalId: string;
  readonly membership: {
    readonly state: "owner" | "holder" | "expired" | "revoked" | "none";
    readonly role: Role | null;
    readonly storedRole?: Role;
    readonly expiresAt?: string;
  };
  readonly environment: {
    readonly isAdministrator: boolean;
    readonly hasSharePrivilege: boolean;
    readonly source: "token" | "directory";
  };
  readonly actions: readonly ExplainedAction[];
}

const actionLabels: Readonly<Record<ExplainAction, string>> = {
  read: "Open the process",
  viewAnalytics: "View analytics",
  update: "Edit name and description",
  viewAccess: "See who has access",
  share: "Share",
  addRecording: "Add recordings",
  manageAllRecordings: "Manage everyone's recordings",
  delete: "Delete the process",
  analyze: "Run analysis",
  editDataflow: "Edit the dataflow",
  transferOwnership: "Offer ownership",
  acceptOwnership: "Accept ownership",
  reassignOwnership: "Reassign ownership",
};

export function actionLabel(action: ExplainAction): string {
  return actionLabels[action];
}

function day(at: string, locale: string): string {
  return new Date(at).toLocaleDateString(locale, { year: "numeric", month: "short", day: "numeric" });
}

/** One reason an action is granted, in words. */
export function grantText(grant: ExplainedGrant, locale = "en-US"): string {
  switch (grant.source) {
    case "owner":
      return "They own the process.";
    case "role": {
      const role = `Their role, ${roleLabel(grant.role)}, includes it`;
      return grant.expiresAt === undefined
        ? `${role}.`
        : `${role} until ${day(grant.expiresAt, locale)}, when the role ends.`;
    }
    case "pendingOwner":
      return grant.offeredAt === undefined
        ? "An ownership offer names them."
        : `An ownership offer made ${day(grant.offeredAt, locale)} names them.`;
    case "administrator":
      return `They are a system administrator (app role ${grant.appRole ?? "administrator"}).`;
    case "sharePrivilege":
      return `They hold the share privilege (app role ${grant.appRole ?? "share privilege"}).`;
  }
}

/** Why an action is not granted, in words; `role` is the stored role, also once ended. */
export function denialText(
  denial: Denial,
  role: Role | null | undefined,
  expiresAt?: string,
  locale = "en-US",
): string {
  switch (denial) {
    case "revoked":
      return "Their access was removed.";
    case "expired":
      return expiresAt === undefined
        ? "Their role has ended."
        : `Their role ended ${day(expiresAt, locale)}.`;
    case "noRole":
      return "They hold no role on this process.";
    case "notARoleOfKind":
      return `Their role, ${roleLabel(role)}, is not a role of this kind of process.`;
    case "roleDoesNotInclude":
      return `Their role, ${roleLabel(role)}, does not include it.`;
    case "noOffer":
      return "No ownership offer names them.";
  }
}

export interface ExplanationLine {
  readonly action: ExplainAction;
  readonly label: string;
  readonly granted: boolean;
  readonly reasons: readonly string[];
}

/** Every action of the explanation, in the API's order, with its reasons in words. */
export function explanationLines(explanation: Explanation, locale = "en-US"): ExplanationLine[] {
  const { membership } = explanation;
  const role = membership.storedRole ?? membership.role;
  return explanation.actions.map((entry) => ({
    action: entry.action,
    label: actionLabel(entry.action),
    granted: entry.granted,
    reasons: entry.granted
      ? (entry.grants ?? []).map((grant) => grantText(grant, locale))
      : [denialText(entry.denial ?? "noRole", role, membership.expiresAt, locale)],
  }));
}
