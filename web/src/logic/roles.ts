/**
 * Names and choices shown to people. Which role a kind of process has is part of the API's
 * contract (a role the kind lacks is refused); what a person may do is not decided here: the
 * screens show what the API's `actions` allow.
 */

export type Kind = "taskMining" | "processMining";
export type Role = "owner" | "coOwner" | "contributor" | "viewer";
export type GrantableRole = Exclude<Role, "owner">;

const grantable: Readonly<Record<Kind, readonly GrantableRole[]>> = {
  taskMining: ["coOwner", "contributor"],
  processMining: ["coOwner", "viewer"],
};

/** The roles a share on a process of this kind may give, the least one first. */
export function grantableRoles(kind: Kind): readonly GrantableRole[] {
  return [...grantable[kind]].reverse();
}

export function roleLabel(role: Role | null | undefined): string {
  switch (role) {
    case "owner":
      return "Owner";
    case "coOwner":
      return "Co-owner";
    case "contributor":
      return "Contributor";
    case "viewer":
      return "Viewer";
    default:
      return "No access";
  }
}

export function kindLabel(kind: Kind): string {
  return kind === "taskMining" ? "Task mining" : "Process mining";
}

/** What a role lets the person do, for the share panel's role choice. */
export function roleHint(kind: Kind, role: GrantableRole): string {
  if (role === "coOwner") return "Can edit, share and manage the process";
  if (kind === "taskMining") return "Can add recordings";
  return "Can view the process's analytics";
}
