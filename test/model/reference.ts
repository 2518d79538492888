/**
 * A small reference model of the access core, written from SPEC §1–2 (the permission table, the
 * rules of sharing, the HTTP contract) and the decisions of issue 11. It imports nothing from the
 * app: what it answers is what the specification says, so that the app is judged, not copied.
 */

export type Kind = "taskMining" | "processMining";
export type Role = "owner" | "coOwner" | "contributor" | "viewer";
export type GrantableRole = Exclude<Role, "owner">;
export type Action =
  | "read"
  | "viewAnalytics"
  | "update"
  | "viewAccess"
  | "share"
  | "addRecording"
  | "manageAllRecordings"
  | "delete"
  | "analyze"
  | "editDataflow"
  | "transferOwnership"
  | "acceptOwnership"
  | "reassignOwnership";

/** The dev users who call: members, the administrator (dave), the guest (erin), the share privilege (frank). */
export const callers = ["alice", "bob", "carol", "dave", "erin", "frank"] as const;
export type Alias = (typeof callers)[number];
/** Who a share may name: a caller, the disabled user, the group, or someone the directory does not know. */
export type RecipientWho = Alias | "gina" | "group" | "nobody";

/** SPEC §1, "Actions each role allows", column by column. */
const table: Record<Kind, Partial<Record<Role, readonly Action[]>>> = {
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
 * SPEC §1, environment-level rights: an administrator has every action of process mining, only
 * `share` on task mining; on both, issue 14 adds reassigning the owner (offboarding).
 */
const administrator: Record<Kind, readonly Action[]> = {
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

export const administrators: ReadonlySet<Alias> = new Set(["dave"]);
const sharePrivilege: ReadonlySet<Alias> = new Set(["frank"]);

export function roleOfKind(kind: Kind, role: Role): boolean {
  return table[kind][role] !== undefined;
}

export function actionsOf(kind: Kind, role: Role | null, who: Alias, pendingOwner = false): Action[] {
  const granted = new Set<Action>(role === null ? [] : (table[kind][role] ?? []));
  // Issue 14: the person an offer names may answer it while they hold a role.
  if (pendingOwner && role !== null) granted.add("acceptOwnership");
  if (administrators.has(who)) for (const action of administrator[kind]) granted.add(action);
  if (sharePrivilege.has(who)) granted.add("share");
  return [...granted].sort();
}

export interface ModelRecording {
  readonly id: string;
  readonly addedBy: Alias;
  deleted: boolean;
}

export interface ModelProcess {
  readonly id: string;
  readonly kind: Kind;
  name: string;
  /** The owner; an accepted ownership offer (issue 14) changes it. */
  owner: Alias;
  /** Whom the owner offered the process to, while the offer waits. */
  pendingOwner?: Alias;
  /** Everyone who ever held a role: their role now, or `revoked`. The owner is `owner`. */
  readonly members: Map<Alias, Role | "revoked">;
  /** Issue 14: when each expiring role ends, on the model's clock (ms). Past it, the role is none. */
  readonly expiries: Map<Alias, number>;
  readonly recordings: ModelRecording[];
  deleted: boolean;
}

export interface ModelState {
  readonly processes: ModelProcess[];
  /** The service clock, as ms moved forward by `tick` (the app's MovableClock moves with it). */
  now: number;
}

/** How far one `tick` moves the clock; expiries are 1 or 5 hours, so no role ends within an hour of a tick. */
export const tickMs = 2 * 3_600_000;

export function emptyState(): ModelState {
  return { processes: [], now: 0 };
}

export function cloneState(state: ModelState): ModelState {
  return {
    now: state.now,
    processes: state.processes.map((process) => ({
      ...process,
      members: new Map(process.members),
      expiries: new Map(process.expiries),
      recordings: process.recordings.map((recording) => ({ ...recording })),
    })),
  };
}

/** The role stored, also once it has expired (until the expiry sweep revokes it). */
function storedRole(process: ModelProcess, who: Alias): Role | null {
  const state = process.members.get(who);
  return state === undefined || state === "revoked" ? null : state;
}

/** Issue 14: an expired role is no role, whether or not the sweep has run. */
function isExpired(process: ModelProcess, who: Alias): boolean {
  const ends = process.expiries.get(who);
  return ends !== undefined && ends <= currentNow && storedRole(process, who) !== null;
}

/** The clock of the state being judged (set by each entry point below that reads the state). */
let currentNow = 0;

export function roleNow(process: ModelProcess, who: Alias): Role | null {
  return isExpired(process, who) ? null : storedRole(process, who);
}

// ---- answers ----------------------------------------------------------------------------------

/**
 * An HTTP answer reduced to what the model decides: the status, the problem `code`, and for a
 * share or a role change the per-recipient outcomes (a status, or a failure's code).
 */
export interface Answer {
  readonly status: number;
  readonly code?: string;
  readonly items?: readonly string[];
}

export function answerKey(answer: Answer): string {
  return JSON.stringify([answer.status, answer.code ?? null, answer.items ?? null]);
}

/** What a command may answer (several when the specification leaves the order of checks open), and its effect. */
export interface Expectation {
  readonly answers: readonly Answer[];
  /** Applies the command to the state, given the answer it got (a create learns its id). */
  readonly effect?: (state: ModelState, answer: { status: number; body: any }) => void;
}

const notFound: Answer = { status: 404, code: "not_found" };

/**
 * The refusal of `action` on a process, or undefined when it is allowed. SPEC §1–2: who may not
 * know the process exists gets 404; a user whose roles were revoked gets 403 `access_revoked`;
 * one who knows it (some action there) but lacks this one gets 403 `forbidden`.
 */
export function refusal(process: ModelProcess | undefined, who: Alias, action: Action): Answer | undefined {
  if (process === undefined || process.deleted) return notFound;
  const actions = actionsOf(process.kind, roleNow(process, who), who, process.pendingOwner === who);
  if (actions.includes(action)) return undefined;
  if (process.members.get(who) === "revoked" || isExpired(process, who))
    return { status: 403, code: "access_revoked" };
  if (actions.length > 0) return { status: 403, code: "forbidden" };
  return notFound;
}

// ---- commands ---------------------------------------------------------------------------------

export interface Recipient {
  readonly who: RecipientWho;
  readonly via: "id" | "email";
}

export type Command =
  | { readonly t: "create"; readonly by: Alias; readonly kind: Kind; readonly name: string }
  | {
      readonly t: "share";
      readonly by: Alias;
      readonly p: number;
      readonly role: GrantableRole;
      readonly recipients: readonly Recipient[];
      /** Issue 14: the grant ends this long after the model's now (absent: it does not). */
      readonly expiresIn?: number;
    }
  | {
      readonly t: "change";
      readonly by: Alias;
      readonly p: number;
      readonly target: Alias;
      readonly role: GrantableRole;
    }
  | { readonly t: "revoke"; readonly by: Alias; readonly p: number; readonly target: Alias }
  | { readonly t: "delete"; readonly by: Alias; readonly p: number }
  | { readonly t: "rename"; readonly by: Alias; readonly p: number; readonly name: string }
  | { readonly t: "addRecording"; readonly by: Alias; readonly p: number }
  | { readonly t: "deleteRecording"; readonly by: Alias; readonly p: number; readonly r: number }
  | { readonly t: "offer"; readonly by: Alias; readonly p: number; readonly target: Alias }
  | { readonly t: "accept"; readonly by: Alias; readonly p: number }
  /** Issue 14: the clock moves `tickMs` forward; the expiry sweep runs. */
  | { readonly t: "tick" }
  | { readonly t: "sweep" };

/** A command whose process reference is resolved to a process of the run (undefined: none yet). */
export function processOf(state: ModelState, p: number): ModelProcess | undefined {
  if (state.processes.length === 0) return undefined;
  return state.processes[p % state.processes.length];
}

/** Every alternative of every position, combined (the product is tiny: at most a few ambiguous ones). */
function product(options: readonly (readonly string[])[]): string[][] {
  return options.reduce<string[][]>(
    (combos, choices) => combos.flatMap((combo) => choices.map((choice) => [...combo, choice])),
    [[]],
  );
}

function shareAnswers(items: readonly (readonly string[])[]): Answer[] {
  const outcomes = new Set(["granted", "updated", "unchanged"]);
  return product(items).map((chosen) => {
    const failed = chosen.filter((item) => !outcomes.has(item));
    if (failed.length === 0) return { status: 200, items: chosen };
    if (failed.length < chosen.length) return { status: 207, items: chosen };
    const codes = new Set(failed);
    return { status: 400, code: codes.size === 1 ? failed[0]! : "share_failed", items: chosen };
  });
}

/** The model's expectation of one command on `state` (which it does not change). */
export function expectation(state: ModelState, command: Command): Expectation {
  currentNow = state.now;
  switch (command.t) {
    case "tick":
      return { answers: [{ status: 200 }], effect: (next) => (next.now += tickMs) };
    case "sweep":
      // Every expired role becomes a revocation; nothing anyone may do changes (it had ended).
      return {
        answers: [{ status: 200 }],
        effect: (next) => {
          currentNow = next.now;
          for (const process of next.processes.filter((candidate) => !candidate.deleted)) {
            for (const who of [...process.members.keys()]) {
              if (!isExpired(process, who)) continue;
              process.members.set(who, "revoked");
              process.expiries.delete(who);
              // The sweep's revocation voids an offer to the expired holder, as any revoke does.
              if (process.pendingOwner === who) process.pendingOwner = undefined;
            }
          }
        },
      };
    case "create":
      return {
        answers: [{ status: 201 }],
        effect: (next, answer) => {
          next.processes.push({
            id: answer.body.id as string,
            kind: command.kind,
            name: command.name,
            owner: command.by,
            members: new Map([[command.by, "owner"]]),
            expiries: new Map(),
            recordings: [],
            deleted: false,
          });
        },
      };
    case "share":
      return expectShare(state, command);
    case "change":
      return expectChange(state, command);
    case "revoke":
      return expectRevoke(state, command);
    case "offer":
      return expectOffer(state, command);
    case "accept":
      return expectAccept(state, command);
    case "delete": {
      const process = processOf(state, command.p);
      const refused = refusal(process, command.by, "delete");
      if (refused !== undefined) return { answers: [refused] };
      return { answers: [{ status: 204 }], effect: (next) => (processOf(next, command.p)!.deleted = true) };
    }
    case "rename": {
      const process = processOf(state, command.p);
      const refused = refusal(process, command.by, "update");
      if (refused !== undefined) return { answers: [refused] };
      return {
        answers: [{ status: 200 }],
        effect: (next) => (processOf(next, command.p)!.name = command.name),
      };
    }
    case "addRecording": {
      const process = processOf(state, command.p);
      const refused = recordingRefusal(process, command.by, "addRecording");
      if (refused !== undefined) return { answers: [refused] };
      return {
        answers: [{ status: 201 }],
        effect: (next, answer) => {
          processOf(next, command.p)!.recordings.push({
            id: answer.body.id as string,
            addedBy: command.by,
            deleted: false,
          });
        },
      };
    }
    case "deleteRecording": {
      const process = processOf(state, command.p);
      const refused = recordingRefusal(process, command.by, "changeRecording");
      if (refused !== undefined) return { answers: [refused] };
      const recording = recordingOf(process!, command.r);
      if (recording === undefined || recording.deleted) return { answers: [notFound] };
      const actions = actionsOf(process!.kind, roleNow(process!, command.by), command.by);
      if (!actions.includes("manageAllRecordings") && recording.addedBy !== command.by) {
        return { answers: [{ status: 403, code: "forbidden" }] };
      }
      return {
        answers: [{ status: 204 }],
        effect: (next) => (recordingOf(processOf(next, command.p)!, command.r)!.deleted = true),
      };
    }
  }
}

/** A recording by its resolved index (negative: one that never existed). */
export function recordingOf(process: ModelProcess, r: number): ModelRecording | undefined {
  return r < 0 ? undefined : process.recordings[r];
}

/**
 * Recordings are part of the process: who may not read it may not touch them; a process mining
 * process has none (`n/a` in the table: 409 `recordings_not_supported`); adding needs
 * `addRecording`, labelling or deleting needs one of the recording actions.
 */
function recordingRefusal(
  process: ModelProcess | undefined,
  who: Alias,
  need: "addRecording" | "changeRecording",
): Answer | undefined {
  const refused = refusal(process, who, "read");
  if (refused !== undefined) return refused;
  if (process!.kind === "processMining") return { status: 409, code: "recordings_not_supported" };
  const actions = actionsOf(process!.kind, roleNow(process!, who), who);
  const allowed =
    need === "addRecording"
      ? actions.includes("addRecording")
      : actions.includes("addRecording") || actions.includes("manageAllRecordings");
  return allowed ? undefined : { status: 403, code: "forbidden" };
}

/** The request's schema: the same recipient written twice the same way is a malformed request. */
function repeatsItself(recipients: readonly Recipient[]): boolean {
  const keys = recipients.map((recipient) => `${recipient.via}:${recipient.who}`);
  return new Set(keys).size !== keys.length;
}

function expectShare(state: ModelState, command: Extract<Command, { t: "share" }>): Expectation {
  if (repeatsItself(command.recipients)) return { answers: [{ status: 400, code: "validation_failed" }] };
  const process = processOf(state, command.p);
  const refused = refusal(process, command.by, "share");
  if (refused !== undefined) return { answers: [refused] };
  if (!roleOfKind(process!.kind, command.role))
    return { answers: [{ status: 400, code: "role_not_allowed_for_kind" }] };

  // Each recipient: its own failure (several codes when two rules apply and SPEC orders neither),
  // or, for the first mention of a principal, what the grant does; later mentions are duplicates.
  const seen = new Map<string, readonly string[]>();
  const members = new Map(process!.members);
  const granted: [Alias, GrantableRole][] = [];
  const items = command.recipients.map((recipient): readonly string[] => {
    const principal = principalOf(recipient);
    const own = ownFailure(process!, command.by, recipient);
    if (principal !== undefined && seen.has(principal)) {
      const first = seen.get(principal)!;
      // The first mention failed: the later one fails too, for the same reason or as a duplicate.
      return first.some((item) => outcomeStatuses.has(item))
        ? ["duplicate_recipient"]
        : [...new Set([...(own ?? []), "duplicate_recipient"])];
    }
    const ends = command.expiresIn === undefined ? undefined : state.now + command.expiresIn;
    const current = isExpired(process!, recipient.who as Alias)
      ? "revoked"
      : members.get(recipient.who as Alias);
    const sameEnd = process!.expiries.get(recipient.who as Alias) === ends;
    const result = own ?? [grantStatus(current, command.role, sameEnd)];
    if (principal !== undefined) seen.set(principal, result);
    if (own === undefined) {
      members.set(recipient.who as Alias, command.role);
      granted.push([recipient.who as Alias, command.role]);
    }
    return result;
  });
  return {
    answers: shareAnswers(items),
    effect: (next) => {
      const target = processOf(next, command.p)!;
      for (const [who, role] of granted) {
        target.members.set(who, role);
        // A share states the grant in full: its expiry, or none.
        if (command.expiresIn === undefined) target.expiries.delete(who);
        else target.expiries.set(who, state.now + command.expiresIn);
      }
    },
  };
}

const outcomeStatuses = new Set(["granted", "updated", "unchanged"]);

/** The principal a recipient resolves to; unknown people resolve to none. */
function principalOf(recipient: Recipient): string | undefined {
  return recipient.who === "nobody" ? undefined : recipient.who;
}

function ownFailure(process: ModelProcess, by: Alias, recipient: Recipient): string[] | undefined {
  switch (recipient.who) {
    case "group":
      return ["groups_not_supported"];
    case "nobody":
      return ["principal_not_found"];
    case "gina":
      return ["principal_disabled"];
  }
  const codes: string[] = [];
  if (recipient.who === process.owner) codes.push("cannot_share_with_owner");
  if (recipient.who === by) codes.push("cannot_share_with_self");
  return codes.length === 0 ? undefined : codes;
}

function grantStatus(current: Role | "revoked" | undefined, role: GrantableRole, sameEnd = true): string {
  if (current === undefined || current === "revoked") return "granted";
  return current === role && sameEnd ? "unchanged" : "updated";
}

function expectChange(state: ModelState, command: Extract<Command, { t: "change" }>): Expectation {
  const process = processOf(state, command.p);
  const refused = refusal(process, command.by, "share");
  if (refused !== undefined) return { answers: [refused] };
  // After authorization, SPEC names these refusals without ordering them: any that applies is right.
  const failures: Answer[] = [];
  if (!roleOfKind(process!.kind, command.role))
    failures.push({ status: 400, code: "role_not_allowed_for_kind" });
  if (command.target === process!.owner) failures.push({ status: 400, code: "cannot_share_with_owner" });
  if (command.target === command.by) failures.push({ status: 400, code: "cannot_share_with_self" });
  const current = roleNow(process!, command.target);
  if (current === null) failures.push(notFound);
  if (failures.length > 0) return { answers: failures };
  return {
    answers: [{ status: 200, items: [current === command.role ? "unchanged" : "updated"] }],
    effect: (next) => processOf(next, command.p)!.members.set(command.target, command.role),
  };
}

function expectRevoke(state: ModelState, command: Extract<Command, { t: "revoke" }>): Expectation {
  const process = processOf(state, command.p);
  const revoke: Expectation = {
    answers: [{ status: 204 }],
    effect: (next) => {
      const target = processOf(next, command.p)!;
      target.members.set(command.target, "revoked");
      target.expiries.delete(command.target);
      // Issue 14: an offer binds a current holder; their revoke or leave voids it.
      if (target.pendingOwner === command.target) target.pendingOwner = undefined;
    },
  };
  if (command.target !== command.by) {
    const refused = refusal(process, command.by, "share");
    if (refused !== undefined) return { answers: [refused] };
    if (command.target === process!.owner)
      return { answers: [{ status: 400, code: "cannot_share_with_owner" }] };
    // An expired role not yet swept is still there to revoke: the revocation ends what the sweep would.
    return storedRole(process!, command.target) === null ? { answers: [notFound] } : revoke;
  }
  // Leaving: anyone may revoke their own role.
  if (process === undefined || process.deleted) return { answers: [notFound] };
  if (command.by === process.owner) {
    return {
      answers: [
        { status: 400, code: "owner_cannot_leave" },
        { status: 400, code: "cannot_share_with_owner" },
      ],
    };
  }
  if (roleNow(process, command.by) !== null) return revoke;
  const refusedRead = refusal(process, command.by, "read");
  // An expired role that an environment right still lets its holder read is left like any other.
  if (storedRole(process, command.by) !== null && refusedRead === undefined) return revoke;
  // Nothing to leave. Who may read the process is told there is no such holder; SPEC leaves open
  // whether a share right alone makes it a revoke of nobody (404) or a refusal (403).
  const refused = refusal(process, command.by, "read");
  if (refused === undefined || refused.status === 404) return { answers: [notFound] };
  return { answers: [refused, notFound] };
}

/** Issue 14: the owner offers the process to a current holder; a new offer replaces the one waiting. */
function expectOffer(state: ModelState, command: Extract<Command, { t: "offer" }>): Expectation {
  const process = processOf(state, command.p);
  const refused = refusal(process, command.by, "transferOwnership");
  if (refused !== undefined) return { answers: [refused] };
  if (command.target === process!.owner)
    return { answers: [{ status: 400, code: "cannot_transfer_to_owner" }] };
  if (roleNow(process!, command.target) === null) return { answers: [{ status: 400, code: "not_a_holder" }] };
  return {
    answers: [{ status: 200 }],
    effect: (next) => (processOf(next, command.p)!.pendingOwner = command.target),
  };
}

/**
 * Issue 14: the person offered takes the process; the owner becomes a co-owner. A pending owner
 * whose role expired holds none: refused like any revoked holder (403 `access_revoked`).
 */
function expectAccept(state: ModelState, command: Extract<Command, { t: "accept" }>): Expectation {
  const process = processOf(state, command.p);
  const refused = refusal(process, command.by, "read");
  if (refused !== undefined) return { answers: [refused] };
  if (process!.pendingOwner === undefined) return { answers: [{ status: 409, code: "no_ownership_offer" }] };
  if (process!.pendingOwner !== command.by) return { answers: [{ status: 403, code: "forbidden" }] };
  // Named, but their role expired (an administrator still reads the process): no role, no offer to take.
  if (roleNow(process!, command.by) === null) return { answers: [{ status: 403, code: "access_revoked" }] };
  return {
    answers: [{ status: 204 }],
    effect: (next) => {
      const target = processOf(next, command.p)!;
      target.members.set(target.owner, "coOwner");
      target.members.set(command.by, "owner");
      // An owner never expires: the new owner's expiry ends; the previous owner, co-owner now, has none.
      target.expiries.delete(command.by);
      target.expiries.delete(target.owner);
      target.owner = command.by;
      target.pendingOwner = undefined;
    },
  };
}

// ---- what everyone sees -----------------------------------------------------------------------

export interface ListEntry {
  readonly id: string;
  readonly kind: Kind;
  readonly name: string;
  readonly myRole: Role | null;
  readonly accessRevoked: boolean;
  readonly actions: readonly Action[];
}

/**
 * A user's own list (SPEC §2 `GET /api/processes`): every live process they hold or held a role on
 * (revoked ones as `{myRole: null, accessRevoked: true, actions: []}`), and for a process mining
 * administrator every process mining process. A share right alone lists nothing.
 */
export function listOf(state: ModelState, who: Alias): ListEntry[] {
  currentNow = state.now;
  return state.processes
    .filter((process) => !process.deleted)
    .filter(
      (process) =>
        process.members.has(who) || (administrators.has(who) && administrator[process.kind].includes("read")),
    )
    .map((process) => {
      const role = roleNow(process, who);
      const actions = actionsOf(process.kind, role, who);
      const revoked = !actions.includes("read");
      return {
        id: process.id,
        kind: process.kind,
        name: process.name,
        myRole: role,
        accessRevoked: revoked,
        actions: revoked ? [] : actions,
      };
    })
    .sort((a, b) => a.id.localeCompare(b.id));
}

/** A process's access list: the owner and every current holder; process mining administrators hidden. */
export function accessOf(process: ModelProcess): { who: Alias; role: Role }[] {
  return [...process.members]
    .flatMap(([who, role]) => (role === "revoked" ? [] : [{ who, role }]))
    .filter(
      ({ who, role }) => role === "owner" || !(process.kind === "processMining" && administrators.has(who)),
    )
    .sort((a, b) => a.who.localeCompare(b.who));
}

/** `GET /api/processes/{id}` as `who`: 200 with their role and actions, or the refusal. */
export function viewOf(
  process: ModelProcess,
  who: Alias,
): { status: number; code?: string; myRole?: Role | null; actions?: readonly Action[] } {
  const refused = refusal(process, who, "read");
  if (refused !== undefined)
    return { status: refused.status, ...(refused.code !== undefined && { code: refused.code }) };
  const role = roleNow(process, who);
  return {
    status: 200,
    myRole: role,
    actions: actionsOf(process.kind, role, who, process.pendingOwner === who),
  };
}

export function liveRecordings(process: ModelProcess): string[] {
  return process.recordings
    .filter((recording) => !recording.deleted)
    .map((recording) => recording.id)
    .sort();
}
