import {
  type Action,
  actions,
  type Caller,
  type EnvironmentRights,
  type GrantableRole,
  type ProcessKind,
  type Role,
} from "./model.js";

/**
 * Every access rule of the product, in one place. SPEC section 1: which roles each kind has,
 * which actions each role allows, and what the environment-level rights add.
 */
export const permissionTable: Readonly<
  Record<ProcessKind, Readonly<Partial<Record<Role, readonly Action[]>>>>
> = {
  taskMining: {
    owner: [
      "read",
      "viewAnalytics",
      "update",
      "viewAccess",
      "share",
      "addRecording",
      "manageAllRecordings",
      "delete",
      "analyze",
      "transferOwnership",
    ],
    coOwner: [
      "read",
      "viewAnalytics",
      "update",
      "viewAccess",
      "share",
      "addRecording",
      "manageAllRecordings",
      "delete",
    ],
    contributor: ["read", "addRecording"],
  },
  processMining: {
    owner: [
      "read",
      "viewAnalytics",
      "update",
      "viewAccess",
      "share",
      "delete",
      "analyze",
      "editDataflow",
      "transferOwnership",
    ],
    coOwner: ["read", "viewAnalytics", "update", "viewAccess", "share"],
    viewer: ["read", "viewAnalytics"],
  },
};

/**
 * What an environment-level right adds, per kind: admins own process mining, and may only share
 * task mining, and reassign its owner (offboarding, issue 14: never an offer, so not `transferOwnership`).
 */
const administratorActions: Readonly<Record<ProcessKind, readonly Action[]>> = {
  taskMining: ["share", "reassignOwnership"],
  processMining: [
    "read",
    "viewAnalytics",
    "update",
    "viewAccess",
    "share",
    "delete",
    "analyze",
    "editDataflow",
    "reassignOwnership",
  ],
};
const sharePrivilegeActions: readonly Action[] = ["share"];
/** What the person an ownership offer names may do with it, while they hold a role there. */
const pendingOwnerActions: readonly Action[] = ["acceptOwnership"];

/** The caller's relation to the process beyond their role: the pending owner of an offer. */
export interface Relation {
  readonly pendingOwner?: boolean;
}

export function rolesOf(kind: ProcessKind): readonly Role[] {
  return Object.keys(permissionTable[kind]) as Role[];
}

export function isRoleOfKind(kind: ProcessKind, role: Role): boolean {
  return permissionTable[kind][role] !== undefined;
}

export function isGrantableRole(kind: ProcessKind, role: Role): role is GrantableRole {
  return role !== "owner" && isRoleOfKind(kind, role);
}

export function environmentRights(
  caller: Pick<Caller, "appRoles">,
  names: { adminRole: string; shareRole: string },
): EnvironmentRights {
  return {
    isAdministrator: caller.appRoles.includes(names.adminRole),
    hasSharePrivilege: caller.appRoles.includes(names.shareRole),
  };
}

/** Where a granted action comes from. */
export type Grant =
  | { readonly source: "owner" }
  | { readonly source: "role"; readonly role: Role }
  | { readonly source: "pendingOwner" }
  | { readonly source: "administrator" }
  | { readonly source: "sharePrivilege" };

/**
 * Every action granted on a process of `kind` to a holder of `role` (or none) with these
 * environment rights, each with where it comes from. The one derivation of the rules above:
 * `allowedActions` is its keys, `explain` (explainAccess.ts) shows it whole.
 */
export function grantsOf(
  kind: ProcessKind,
  role: Role | null,
  rights: EnvironmentRights,
  relation: Relation = {},
): Map<Action, Grant[]> {
  const grants = new Map<Action, Grant[]>();
  const add = (action: Action, grant: Grant): void => {
    grants.set(action, [...(grants.get(action) ?? []), grant]);
  };
  if (role !== null) {
    const grant: Grant = role === "owner" ? { source: "owner" } : { source: "role", role };
    for (const action of permissionTable[kind][role] ?? []) add(action, grant);
  }
  // An offer binds only a current holder: one revoked, left or expired meanwhile cannot take it.
  if (relation.pendingOwner === true && role !== null)
    for (const action of pendingOwnerActions) add(action, { source: "pendingOwner" });
  if (rights.isAdministrator)
    for (const action of administratorActions[kind]) add(action, { source: "administrator" });
  if (rights.hasSharePrivilege)
    for (const action of sharePrivilegeActions) add(action, { source: "sharePrivilege" });
  return grants;
}

/** Why an action of the kind is not granted. */
export type Denial = "revoked" | "expired" | "noRole" | "notARoleOfKind" | "roleDoesNotInclude" | "noOffer";

/** The rule that denies `action` to someone whose membership is `state` (the role they hold, if any). */
export function denialOf(
  kind: ProcessKind,
  state: "holder" | "owner" | "expired" | "revoked" | "none",
  role: Role | null,
  action?: Action,
): Denial {
  if (state === "revoked" || state === "expired") return state;
  if (role === null) return "noRole";
  // No role includes accepting ownership: only an offer naming the holder does.
  if (action !== undefined && pendingOwnerActions.includes(action)) return "noOffer";
  return isRoleOfKind(kind, role) ? "roleDoesNotInclude" : "notARoleOfKind";
}

/**
 * The actions a kind has (`n/a` ones left out): its roles', a pending owner's and the
 * administrators', in the table's order.
 */
export function actionsOfKind(kind: ProcessKind): Action[] {
  const some = new Set([
    ...rolesOf(kind).flatMap((role) => permissionTable[kind][role] ?? []),
    ...pendingOwnerActions,
    ...administratorActions[kind],
  ]);
  return actions.filter((action) => some.has(action));
}

/** The actions a caller has on a process of `kind` holding `role` (or none), with its environment rights. */
export function allowedActions(
  kind: ProcessKind,
  role: Role | null,
  rights: EnvironmentRights,
  relation: Relation = {},
): Action[] {
  const granted = grantsOf(kind, role, rights, relation);
  // Keep the table's order so that answers are stable.
  return actions.filter((action) => granted.has(action));
}

export function can(
  kind: ProcessKind,
  role: Role | null,
  rights: EnvironmentRights,
  action: Action,
): boolean {
  return allowedActions(kind, role, rights).includes(action);
}

/** Whether `userId` is named by the process's pending ownership offer. */
export function isPendingOwner(
  process: { readonly pendingOwner?: { readonly principalId: string } },
  userId: string,
): boolean {
  return process.pendingOwner?.principalId === userId;
}

/**
 * Whether the caller may see that the process exists at all. Holding only a share right
 * (task mining admin, share privilege) is enough to share, and to be told `forbidden` elsewhere.
 */
export function knowsProcess(kind: ProcessKind, role: Role | null, rights: EnvironmentRights): boolean {
  return allowedActions(kind, role, rights).length > 0;
}

/** Administrators of process mining are never shown in its access lists (SPEC section 1). */
export function isHiddenFromAccessList(kind: ProcessKind, holderIsAdministrator: boolean): boolean {
  return kind === "processMining" && holderIsAdministrator;
}

/** Whether an administrator sees every process of this kind in their list. */
export function administratorListsAll(kind: ProcessKind): boolean {
  return administratorActions[kind].includes("read");
}

/** A kind has recordings when some role of it may add them (the table says `n/a` otherwise). */
export function supportsRecordings(kind: ProcessKind): boolean {
  return rolesOf(kind).some((role) => permissionTable[kind][role]?.includes("addRecording") === true);
}

/** Labelling or deleting a recording: anyone's with `manageAllRecordings`, one's own with `addRecording`. */
export function mayChangeRecording(actions: readonly Action[], addedBy: string, callerId: string): boolean {
  return (
    actions.includes("manageAllRecordings") || (actions.includes("addRecording") && addedBy === callerId)
  );
}
