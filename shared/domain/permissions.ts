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
  caller: Caller,
  names: { adminRole: string; shareRole: string },
): EnvironmentRights {
  return {
    isAdministrator: caller.appRoles.includes(names.adminRole),
    hasSharePrivilege: caller.appRoles.includes(names.shareRole),
  };
}

/** The actions a caller has on a process of `kind` holding `role` (or none), with its environment rights. */
export function allowedActions(
  kind: ProcessKind,
  role: Role | null,
  rights: EnvironmentRights,
  relation: Relation = {},
): Action[] {
  const granted = new Set<Action>(role === null ? [] : (permissionTable[kind][role] ?? []));
  // An offer binds only a current holder: one revoked or left meanwhile cannot take it.
  if (relation.pendingOwner === true && role !== null)
    for (const action of pendingOwnerActions) granted.add(action);
  if (rights.isAdministrator) for (const action of administratorActions[kind]) granted.add(action);
  if (rights.hasSharePrivilege) for (const action of sharePrivilegeActions) granted.add(action);
  // Keep the table's order so that answers are stable.
  return [...granted].sort((a, b) => actions.indexOf(a) - actions.indexOf(b));
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
