import { readFileSync } from "node:fs";

import { describe, expect, test } from "vitest";

import {
  actionLabel,
  type Denial,
  denialText,
  type ExplainAction,
  type ExplainedGrant,
  type Explanation,
  explanationLines,
  grantText,
} from "../../web/src/logic/explain.js";

/** A contributor on task mining whose role ends, as the API explains them. */
const contributor: Explanation = {
  processId: "p1",
  kind: "taskMining",
  principalId: "bob",
  membership: {
    state: "holder",
    role: "contributor",
    storedRole: "contributor",
    expiresAt: "2027-03-14T12:00:00.000Z",
  },
  environment: { isAdministrator: false, hasSharePrivilege: false, source: "directory" },
  actions: [
    {
      action: "read",
      granted: true,
      grants: [{ source: "role", role: "contributor", expiresAt: "2027-03-14T12:00:00.000Z" }],
    },
    { action: "delete", granted: false, denial: "roleDoesNotInclude" },
    { action: "acceptOwnership", granted: false, denial: "noOffer" },
  ],
};

describe("an explanation of access in words", () => {
  test("the owner", () => {
    expect(grantText({ source: "owner" })).toBe("They own the process.");
  });

  test("a role, and when it ends if it does", () => {
    expect(grantText({ source: "role", role: "coOwner" })).toBe("Their role, Co-owner, includes it.");
    expect(grantText({ source: "role", role: "viewer", expiresAt: "2027-03-14T12:00:00.000Z" })).toBe(
      "Their role, Viewer, includes it until Mar 14, 2027, when the role ends.",
    );
  });

  test("the administrator app role, named", () => {
    expect(grantText({ source: "administrator", appRole: "Mining.Admin" })).toBe(
      "They are a system administrator (app role Mining.Admin).",
    );
  });

  test("the share privilege app role, named", () => {
    expect(grantText({ source: "sharePrivilege", appRole: "Mining.Share" })).toBe(
      "They hold the share privilege (app role Mining.Share).",
    );
  });

  test("the ownership offer naming them, with its day", () => {
    expect(
      grantText({ source: "pendingOwner", offeredAt: "2027-01-02T09:00:00.000Z", offeredBy: "alice" }),
    ).toBe("An ownership offer made Jan 2, 2027 names them.");
    expect(grantText({ source: "pendingOwner" })).toBe("An ownership offer names them.");
  });

  test("denied: revoked", () => {
    expect(denialText("revoked", "viewer")).toBe("Their access was removed.");
  });

  test("denied: expired, with the day it ended", () => {
    expect(denialText("expired", "viewer", "2027-03-14T12:00:00.000Z")).toBe(
      "Their role ended Mar 14, 2027.",
    );
    expect(denialText("expired", "viewer")).toBe("Their role has ended.");
  });

  test("denied: no role", () => {
    expect(denialText("noRole", null)).toBe("They hold no role on this process.");
  });

  test("denied: not a role of this kind", () => {
    expect(denialText("notARoleOfKind", "viewer")).toBe(
      "Their role, Viewer, is not a role of this kind of process.",
    );
  });

  test("denied: the role does not include it", () => {
    expect(denialText("roleDoesNotInclude", "contributor")).toBe(
      "Their role, Contributor, does not include it.",
    );
  });

  test("denied: no offer", () => {
    expect(denialText("noOffer", "contributor")).toBe("No ownership offer names them.");
  });

  test("every action of the explanation, in the API's order, granted or not, with its reasons", () => {
    expect(explanationLines(contributor)).toEqual([
      {
        action: "read",
        label: "Open the process",
        granted: true,
        reasons: ["Their role, Contributor, includes it until Mar 14, 2027, when the role ends."],
      },
      {
        action: "delete",
        label: "Delete the process",
        granted: false,
        reasons: ["Their role, Contributor, does not include it."],
      },
      {
        action: "acceptOwnership",
        label: "Accept ownership",
        granted: false,
        reasons: ["No ownership offer names them."],
      },
    ]);
  });

  test("an action granted twice gives both reasons; an expired role is named from the stored one", () => {
    const admin: Explanation = {
      ...contributor,
      membership: {
        state: "expired",
        role: null,
        storedRole: "viewer",
        expiresAt: "2026-11-30T12:00:00.000Z",
      },
      actions: [
        {
          action: "read",
          granted: true,
          grants: [{ source: "owner" }, { source: "administrator", appRole: "A" }],
        },
        { action: "update", granted: false, denial: "expired" },
      ],
    };
    const lines = explanationLines(admin);
    expect(lines[0]?.reasons).toEqual([
      "They own the process.",
      "They are a system administrator (app role A).",
    ]);
    expect(lines[1]?.reasons).toEqual(["Their role ended Nov 30, 2026."]);
  });

  test("every action, source and denial the OpenAPI contract lists has words", () => {
    const spec = JSON.parse(readFileSync("shared/openapi/openapi.json", "utf8")) as {
      definitions: Record<string, { properties: Record<string, { enum?: string[] }> }>;
    };
    const enumOf = (schema: string, property: string): string[] =>
      spec.definitions[schema]?.properties[property]?.enum ?? [];
    const actions = enumOf("ExplainedAction", "action");
    const denials = enumOf("ExplainedAction", "denial");
    const sources = enumOf("ExplainedGrant", "source");
    expect(actions.length * denials.length * sources.length).toBeGreaterThan(0);
    for (const action of actions) expect(actionLabel(action as ExplainAction), action).toMatch(/\w/);
    for (const denial of denials) expect(denialText(denial as Denial, "viewer"), denial).toMatch(/\w/);
    for (const source of sources)
      expect(grantText({ source } as ExplainedGrant, "en-US"), source).toMatch(/\w/);
  });
});
