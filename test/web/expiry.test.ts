import { describe, expect, test } from "vitest";

import { expiryBounds, expiryFromDate, expiryLabel } from "../../web/src/logic/expiry.js";

describe("expiring access in words", () => {
  test("a picked date ends at the end of that day where the browser is; no date, no expiry", () => {
    const at = expiryFromDate("2027-03-14");
    expect(at).toBeDefined();
    const local = new Date(at ?? "");
    expect([local.getFullYear(), local.getMonth(), local.getDate(), local.getHours()]).toEqual([
      2027, 2, 14, 23,
    ]);
    expect(expiryFromDate("")).toBeUndefined();
    expect(expiryFromDate("14/03/2027")).toBeUndefined();
  });

  test("the picker offers today to a day short of a year ahead", () => {
    expect(expiryBounds(new Date(2026, 11, 1, 10))).toEqual({ min: "2026-12-01", max: "2027-11-30" });
  });

  test("Manage access says when access ends, or ended, and nothing for a role that does not end", () => {
    expect(expiryLabel({ expiresAt: "2027-03-14T12:00:00.000Z" })).toBe("Access ends Mar 14, 2027");
    expect(expiryLabel({ expiresAt: "2027-03-14T12:00:00.000Z", expired: true })).toBe(
      "Access ended Mar 14, 2027",
    );
    expect(expiryLabel({})).toBeUndefined();
  });
});
