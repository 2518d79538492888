import { describe, expect, test } from "vitest";

import { actions, type Caller, type Role } from "../../shared/domain/model.js";
import {
  allowedActions,
  environmentRights,
  isGrantableRole,
  isHiddenFromAccessList,
  knowsProcess,
} from "../../shared/domain/permissions.js";

/**
 * SPEC section 1, written out again by hand, row by row as the spec prints it, so that the
 * code's table is checked against an independent copy rather than against itself.
 */
const specTable = `
action              | tm.owner | tm.coOwner | tm.contributor | pm.owner | pm.coOwner | pm.viewer
read                | yes      | yes        | yes            | yes      | yes        | yes
viewAnalytics       | yes      | yes        | no             | yes      | yes        | yes
update              | yes      | yes        | no             | yes      | yes        | no
viewAccess          | yes      | yes        | no             | yes      | yes        | no
share               | yes      | yes        | no             | yes      | yes        | no
addRecording        | yes      | yes        | yes            | n/a      | n/a        | n/a
manageAllRecordings | yes      | yes        | no             | n/a      | n/a        | n/a
delete              | yes      | yes        | no             | yes      | no         | no
analyze             | yes      | no         | no             | yes      | no         | no
editDataflow        | n/a      | n/a        | n/a            | yes      | no         | no
transferOwnership   | yes      | no         | no             | yes      | no         | no
acceptOwnership     | no       | no         | no             | no       | no         | no
reassignOwnership   | no       | no         | no             | no       | no         | no
`;

const [header, ...rows] = specTable
  .trim()
  .split("\n")
  .map((line) => line.split("|").map((cell) => cell.trim()));
const columns = header!.slice(1).map((column) => {
  const [kind, role] = column.split(".") as [string, Role];
  return { kind: kind === "tm" ? ("taskMining" as const) : ("processMining" as const), role };
});
const noRights = { isAdministrator: false, hasSharePrivilege: false };

describe("the permission table matches SPEC section 1 cell by cell", () => {
  for (const [action, ...cells] of rows) {
    columns.forEach(({ kind, role }, index) => {
      const expected = cells[index] === "yes";
      test(`${kind} ${role} ${expected ? "may" : "may not"} ${action}`, () => {
        expect((allowedActions(kind, role, noRights) as string[]).includes(action!)).toBe(expected);
      });
    });
  }

  test("the spec's table names every action the code knows", () => {
    expect(rows.map(([action]) => action).sort()).toEqual([...actions].sort());
  });
});

describe("roles per kind", () => {
  test.each([
    ["taskMining", "coOwner", true],
    ["taskMining", "contributor", true],
    ["taskMining", "viewer", false],
    ["taskMining", "owner", false],
    ["processMining", "coOwner", true],
    ["processMining", "viewer", true],
    ["processMining", "contributor", false],
    ["processMining", "owner", false],
  ] as const)("a %s process %s grant the %s role", (kind, role, grantable) => {
    expect(isGrantableRole(kind, role)).toBe(grantable);
  });
});

describe("environment-level rights", () => {
  const caller = (appRoles: string[]): Caller => ({
    id: "x",
    tenantId: "t",
    name: "n",
    username: "u",
    appRoles,
  });
  const names = { adminRole: "Process.Admin", shareRole: "Process.Share.All" };

  test("a system administrator has every action on any process mining process", () => {
    const rights = environmentRights(caller(["Process.Admin"]), names);
    expect(allowedActions("processMining", null, rights)).toEqual([
      "read",
      "viewAnalytics",
      "update",
      "viewAccess",
      "share",
      "delete",
      "analyze",
      "editDataflow",
      "reassignOwnership",
    ]);
  });

  test("a system administrator may only share a task mining process they hold no role on, and reassign its owner", () => {
    const rights = environmentRights(caller(["Process.Admin"]), names);
    expect(allowedActions("taskMining", null, rights)).toEqual(["share", "reassignOwnership"]);
    expect(knowsProcess("taskMining", null, rights)).toBe(true);
  });

  test("the share privilege adds share and nothing else, on both kinds", () => {
    const rights = environmentRights(caller(["Process.Share.All"]), names);
    expect(allowedActions("taskMining", null, rights)).toEqual(["share"]);
    expect(allowedActions("processMining", null, rights)).toEqual(["share"]);
    expect(allowedActions("processMining", "viewer", rights)).toEqual(["read", "viewAnalytics", "share"]);
  });

  test("the person an ownership offer names may accept it only while they hold a role (issue 14)", () => {
    const offered = { pendingOwner: true };
    expect(allowedActions("taskMining", "contributor", noRights, offered)).toEqual([
      "read",
      "addRecording",
      "acceptOwnership",
    ]);
    expect(allowedActions("processMining", "viewer", noRights, offered)).toContain("acceptOwnership");
    expect(allowedActions("processMining", null, noRights, offered)).toEqual([]);
    const admin = environmentRights(caller(["Process.Admin"]), names);
    expect(allowedActions("processMining", null, admin, offered)).not.toContain("acceptOwnership");
    expect(allowedActions("taskMining", "viewer", noRights, {})).not.toContain("acceptOwnership");
  });

  test("an app role with another name grants nothing", () => {
    const rights = environmentRights(caller(["Process.Admins", "process.admin"]), names);
    expect(rights).toEqual(noRights);
    expect(knowsProcess("processMining", null, rights)).toBe(false);
  });

  test("administrators are hidden from process mining access lists only", () => {
    expect(isHiddenFromAccessList("processMining", true)).toBe(true);
    expect(isHiddenFromAccessList("taskMining", true)).toBe(false);
    expect(isHiddenFromAccessList("processMining", false)).toBe(false);
  });
});
