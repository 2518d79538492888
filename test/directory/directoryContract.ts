import { describe, expect, it } from "vitest";

import { readDevDirectory } from "../../shared/directory/devDirectory.js";
import type { Directory } from "../../shared/ports.js";

const dev = readDevDirectory();
function devUser(alias: string) {
  const user = dev.users.find((candidate) => candidate.alias === alias);
  if (user === undefined) throw new Error(`no dev user ${alias}`);
  return user;
}
const alice = devUser("alice");
const bob = devUser("bob");
const dave = devUser("dave");
const erin = devUser("erin");
const frank = devUser("frank");
const gina = devUser("gina");
/** Process.Admin through the "Process Administrators" group only; carol is in a group without roles. */
const hank = devUser("hank");
const carol = devUser("carol");
const group = dev.groups[0] ?? { id: "", email: "", displayName: "" };

const ids = (users: readonly { id: string }[]) => users.map((user) => user.id).sort();

/**
 * What every directory adapter does with the dev directory's people: the dev directory and the
 * Graph adapter (against the stand-in serving the same JSON) run this same suite.
 */
export function directoryContract(name: string, createDirectory: () => Promise<Directory> | Directory): void {
  describe(`${name} directory contract`, () => {
    it("search finds a member by the start of the first or last name", async () => {
      const directory = await createDirectory();
      expect(ids(await directory.search("Ali", 10))).toEqual([alice.id]);
      expect(ids(await directory.search("brow", 10))).toEqual([bob.id]);
    });

    it("search finds a user by the start of the email address", async () => {
      const directory = await createDirectory();
      expect(ids(await directory.search("bob@contoso", 10))).toEqual([bob.id]);
    });

    it("search finds guests as well as members and says which is which", async () => {
      const directory = await createDirectory();
      const [found] = await directory.search("erin", 10);
      expect(found).toMatchObject({
        id: erin.id,
        email: erin.email,
        displayName: erin.displayName,
        userType: "Guest",
      });
      expect(ids(await directory.search("Fabrikam", 10))).toEqual([erin.id]);
    });

    it("search matches any word of the address, like Graph's tokenized search, and honours top", async () => {
      const directory = await createDirectory();
      const enabledAtContoso = dev.users.filter(
        (user) => user.accountEnabled && user.email.endsWith("@contoso.example"),
      );
      const found = ids(await directory.search("contoso", 25));
      expect(found).toEqual(expect.arrayContaining(ids(enabledAtContoso)));
      expect(found).not.toContain(gina.id);
      expect(await directory.search("contoso", 2)).toHaveLength(2);
    });

    it("search leaves out disabled accounts", async () => {
      const directory = await createDirectory();
      expect(await directory.search("gina", 10)).toEqual([]);
    });

    it("search returns nothing for a prefix that no one has", async () => {
      const directory = await createDirectory();
      expect(await directory.search("zz-nobody", 10)).toEqual([]);
    });

    it("resolve finds users by id and by email, whatever the case, in the order given", async () => {
      const directory = await createDirectory();
      const resolved = await directory.resolve([
        { email: "ERIN@Fabrikam.example" },
        { id: alice.id.toUpperCase() },
      ]);
      expect(resolved).toMatchObject([
        { outcome: "user", user: { id: erin.id, userType: "Guest", email: erin.email } },
        { outcome: "user", user: { id: alice.id, userType: "Member", email: alice.email } },
      ]);
    });

    it("resolve refuses a group, by id or by address", async () => {
      const directory = await createDirectory();
      expect(await directory.resolve([{ id: group.id }, { email: group.email }])).toEqual([
        { outcome: "group" },
        { outcome: "group" },
      ]);
    });

    it("resolve reports unknown addresses and ids as not found", async () => {
      const directory = await createDirectory();
      expect(
        await directory.resolve([
          { email: "nobody@contoso.example" },
          { id: "00000000-0000-4000-8000-00000000dead" },
          { id: "not-a-guid" },
        ]),
      ).toEqual([{ outcome: "notFound" }, { outcome: "notFound" }, { outcome: "notFound" }]);
    });

    it("resolve reports a disabled account as disabled, with who it is", async () => {
      const directory = await createDirectory();
      expect(await directory.resolve([{ email: gina.email }, { id: gina.id }])).toMatchObject([
        { outcome: "disabled", user: { id: gina.id, accountEnabled: false } },
        { outcome: "disabled", user: { id: gina.id, accountEnabled: false } },
      ]);
    });

    it("getUsers returns the known users of a list of ids together, unknown ids absent", async () => {
      const directory = await createDirectory();
      const users = await directory.getUsers([alice.id, erin.id, "00000000-0000-4000-8000-00000000dead"]);
      expect([...users.keys()].sort()).toEqual([alice.id, erin.id].sort());
      expect(users.get(erin.id)).toMatchObject({
        displayName: erin.displayName,
        email: erin.email,
        userType: "Guest",
      });
    });

    it("getUsers: a direct member of a group assigned an app role holds it; a group without roles gives none", async () => {
      const directory = await createDirectory();
      const users = await directory.getUsers([hank.id, carol.id]);
      expect(users.get(hank.id)?.appRoles).toEqual(["Process.Admin"]);
      expect(users.get(carol.id)?.appRoles).toEqual([]);
      const [resolved] = await directory.resolve([{ email: hank.email }]);
      expect(resolved).toMatchObject({ outcome: "user", user: { id: hank.id, appRoles: ["Process.Admin"] } });
    });

    it("getUsers tells which users hold the API's app roles", async () => {
      const directory = await createDirectory();
      const users = await directory.getUsers([dave.id, frank.id, alice.id]);
      expect(users.get(dave.id)?.appRoles).toEqual(["Process.Admin"]);
      expect(users.get(frank.id)?.appRoles).toEqual(["Process.Share.All"]);
      expect(users.get(alice.id)?.appRoles).toEqual([]);
    });
  });
}
