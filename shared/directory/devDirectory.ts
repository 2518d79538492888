import { readFileSync } from "node:fs";

import { z } from "zod";

import bundledDirectory from "../../local/dev-directory.json" with { type: "json" };
import type { DirectoryUser } from "../domain/model.js";
import type { Directory, Recipient, ResolvedRecipient } from "../ports.js";
import { searchTokens } from "./graphQuery.js";

const devDirectorySchema = z.object({
  tenantId: z.string(),
  users: z.array(
    z.object({
      alias: z.string(),
      id: z.string(),
      displayName: z.string(),
      email: z.string(),
      userType: z.enum(["Member", "Guest"]),
      accountEnabled: z.boolean(),
      appRoles: z.array(z.string()),
    }),
  ),
  groups: z.array(
    z.object({
      id: z.string(),
      displayName: z.string(),
      email: z.string(),
      /** Ids of the group's direct members. */
      members: z.array(z.string()).optional(),
      /** App roles assigned to the group: every direct member holds them, as in Entra. */
      appRoles: z.array(z.string()).optional(),
    }),
  ),
});

export type DevDirectoryData = z.infer<typeof devDirectorySchema>;
export type DevUser = DevDirectoryData["users"][number];

/** The bundled dev directory (alice, bob, carol, dave, erin, ...), or a JSON file of the same shape. */
export function readDevDirectory(file?: string | URL): DevDirectoryData {
  return devDirectorySchema.parse(
    file === undefined ? bundledDirectory : JSON.parse(readFileSync(file, "utf8")),
  );
}

/**
 * The app roles a user holds: their own assignments and those of the groups they are a direct
 * member of (Entra counts direct members of an assigned group only, not nested groups').
 */
export function effectiveAppRoles(data: DevDirectoryData, user: DevUser): string[] {
  const id = user.id.toLowerCase();
  const fromGroups = data.groups.flatMap((group) =>
    (group.members ?? []).some((member) => member.toLowerCase() === id) ? (group.appRoles ?? []) : [],
  );
  return [...new Set([...user.appRoles, ...fromGroups])];
}

/** The directory port over a JSON file of users: what `npm start` and the tests resolve people against. */
export class DevDirectory implements Directory {
  private readonly byId: ReadonlyMap<string, DevUser>;
  private readonly byEmail: ReadonlyMap<string, DevUser>;
  private readonly groupIds: ReadonlySet<string>;
  private readonly groupEmails: ReadonlySet<string>;
  private readonly data: DevDirectoryData;

  constructor(file: DevDirectoryData) {
    // Users as they sign in: with the app roles their groups give them (dev tokens carry them too).
    const data = {
      ...file,
      users: file.users.map((user) => ({ ...user, appRoles: effectiveAppRoles(file, user) })),
    };
    this.data = data;
    this.byId = new Map(data.users.map((user) => [user.id.toLowerCase(), user]));
    this.byEmail = new Map(data.users.map((user) => [user.email.toLowerCase(), user]));
    this.groupIds = new Set(data.groups.map((group) => group.id.toLowerCase()));
    this.groupEmails = new Set(data.groups.map((group) => group.email.toLowerCase()));
  }

  static fromFile(file?: string | URL): DevDirectory {
    return new DevDirectory(readDevDirectory(file));
  }

  /** A dev user by alias (`alice`) or id. */
  user(aliasOrId: string): DevUser | undefined {
    const key = aliasOrId.toLowerCase();
    return this.data.users.find((user) => user.alias === key) ?? this.byId.get(key);
  }

  resolve(recipients: readonly Recipient[]): Promise<ResolvedRecipient[]> {
    return Promise.resolve(
      recipients.map((recipient): ResolvedRecipient => {
        const isId = "id" in recipient;
        const key = (isId ? recipient.id : recipient.email).toLowerCase();
        if ((isId ? this.groupIds : this.groupEmails).has(key)) return { outcome: "group" };
        const found = (isId ? this.byId : this.byEmail).get(key);
        if (found === undefined) return { outcome: "notFound" };
        const user = toDirectoryUser(found);
        return user.accountEnabled ? { outcome: "user", user } : { outcome: "disabled", user };
      }),
    );
  }

  getUsers(ids: readonly string[]): Promise<ReadonlyMap<string, DirectoryUser>> {
    const found = new Map<string, DirectoryUser>();
    for (const id of ids) {
      const user = this.byId.get(id.toLowerCase());
      if (user !== undefined) found.set(user.id, toDirectoryUser(user));
    }
    return Promise.resolve(found);
  }

  /** Graph's `$search` semantics: each word typed starts a word of the name or of the address. */
  search(prefix: string, top: number): Promise<DirectoryUser[]> {
    const words = searchTokens(prefix);
    const matches = (text: string): boolean => {
      const tokens = searchTokens(text);
      return words.length > 0 && words.every((word) => tokens.some((token) => token.startsWith(word)));
    };
    const found = this.data.users.filter(
      (user) => user.accountEnabled && (matches(user.displayName) || matches(user.email)),
    );
    return Promise.resolve(found.slice(0, top).map(toDirectoryUser));
  }
}

function toDirectoryUser(user: DevUser): DirectoryUser {
  return {
    id: user.id,
    displayName: user.displayName,
    email: user.email,
    userType: user.userType,
    accountEnabled: user.accountEnabled,
    appRoles: user.appRoles,
  };
}
