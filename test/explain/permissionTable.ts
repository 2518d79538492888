// The SPEC's permission table and environment rules, read from its own text: the explain tests
// compute what they expect from this, independently of shared/domain/permissions.ts.

import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** A copy of SPEC section 1's table (checked against ../shared/SPEC.md when that file is there). */
export const specTable = `| action | taskMining owner | coOwner | contributor | processMining owner | coOwner | viewer |
| --- | --- | --- | --- | --- | --- | --- |
| \`read\` (view details) | ✓ | ✓ | ✓ | ✓ | ✓ | ✓ |
| \`viewAnalytics\` (process map, analytics) | ✓ | ✓ | – | ✓ | ✓ | ✓ |
| \`update\` (name, description) | ✓ | ✓ | – | ✓ | ✓ | – |
| \`viewAccess\` (who has access) | ✓ | ✓ | – | ✓ | ✓ | – |
| \`share\` (grant, change, revoke roles) | ✓ | ✓ | – | ✓ | ✓ | – |
| \`addRecording\` (add, label, delete own) | ✓ | ✓ | ✓ | n/a | n/a | n/a |
| \`manageAllRecordings\` (others' too) | ✓ | ✓ | – | n/a | n/a | n/a |
| \`delete\` (the process) | ✓ | ✓ | – | ✓ | – | – |
| \`analyze\` | ✓ | – | – | ✓ | – | – |
| \`editDataflow\` | n/a | n/a | n/a | ✓ | – | – |`;

export const specPath = fileURLToPath(new URL("../../../shared/SPEC.md", import.meta.url));

export function specText(): string | undefined {
  return existsSync(specPath) ? readFileSync(specPath, "utf8") : undefined;
}

export type Kind = "taskMining" | "processMining";
export type Cell = "✓" | "–" | "n/a";

const columns: [Kind, string][] = [
  ["taskMining", "owner"],
  ["taskMining", "coOwner"],
  ["taskMining", "contributor"],
  ["processMining", "owner"],
  ["processMining", "coOwner"],
  ["processMining", "viewer"],
];

/** cells[kind][role][action] as the SPEC writes them. */
export function parseTable(text: string): Record<Kind, Record<string, Record<string, Cell>>> {
  const cells: Record<Kind, Record<string, Record<string, Cell>>> = { taskMining: {}, processMining: {} };
  for (const line of text.split("\n").slice(2)) {
    const parts = line.split("|").map((part) => part.trim());
    const action = /`(\w+)`/.exec(parts[1] ?? "")?.[1];
    if (action === undefined) continue;
    columns.forEach(([kind, role], index) => {
      (cells[kind][role] ??= {})[action] = parts[index + 2] as Cell;
    });
  }
  return cells;
}

export const table = parseTable(specTable);

/**
 * Issue 14's ownership transfer actions, which the SPEC's table text does not have. Modelled here
 * explicitly rather than left out: the owner may offer the process (`transferOwnership`); the
 * person an offer names may accept it while they hold a role in force (`acceptOwnership`, from
 * the offer, not from a role); a system administrator may reassign the owner of either kind
 * (`reassignOwnership`). Nothing else grants them: not the share privilege, not the
 * administrator's "every action" of process mining, not a co-owner's role.
 */
export const transferActions = ["transferOwnership", "acceptOwnership", "reassignOwnership"] as const;

/** The actions a kind has at all (`n/a` in every column of the kind: not its action), then the transfer ones. */
export function actionsOf(kind: Kind): string[] {
  const roles = Object.values(table[kind]);
  const fromTable = Object.keys(roles[0] ?? {}).filter((action) =>
    roles.some((cells) => cells[action] !== "n/a"),
  );
  return [...fromTable, ...transferActions];
}

function transferGrants(
  role: string | null,
  rights: Rights,
  action: string,
  pendingOwner: boolean,
): string[] {
  switch (action) {
    case "transferOwnership":
      return role === "owner" ? ["owner"] : [];
    case "acceptOwnership":
      return pendingOwner && role !== null ? ["pendingOwner"] : [];
    default:
      return rights.admin ? ["administrator"] : [];
  }
}

export interface Rights {
  readonly admin: boolean;
  readonly share: boolean;
}

/**
 * The SPEC's environment rules: a system administrator has every action on process mining and
 * `share` on task mining; the share privilege adds `share` on either.
 */
export function expectedGrants(
  kind: Kind,
  role: string | null,
  rights: Rights,
  action: string,
  pendingOwner = false,
): string[] {
  if ((transferActions as readonly string[]).includes(action))
    return transferGrants(role, rights, action, pendingOwner);
  const grants: string[] = [];
  if (role !== null && table[kind][role]?.[action] === "✓") grants.push(role === "owner" ? "owner" : "role");
  if (rights.admin && (kind === "processMining" || action === "share")) grants.push("administrator");
  if (rights.share && action === "share") grants.push("sharePrivilege");
  return grants;
}
