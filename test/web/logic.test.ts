import { describe, expect, test } from "vitest";

import openapi from "../../shared/openapi/openapi.json" with { type: "json" };
import { parseConfig } from "../../web/src/logic/config.js";
import { cooldownText, invitationLabel, retryAfterSeconds } from "../../web/src/logic/invitations.js";
import { appendPage, nextPageUrl } from "../../web/src/logic/paging.js";
import { describeProblem, sentenceForCode, toProblem } from "../../web/src/logic/problems.js";
import { grantableRoles, roleLabel } from "../../web/src/logic/roles.js";
import { parseRoute, routePath } from "../../web/src/logic/routes.js";
import { looksLikeEmail, searchTerm } from "../../web/src/logic/search.js";
import { describeShareResults, shareSummary } from "../../web/src/logic/shareResults.js";
import { characterCount, parseLabels } from "../../web/src/logic/text.js";

/** The web app's own logic: what it shows for what the API answered. */

describe("problems in words", () => {
  test("every code the API can answer (its OpenAPI enum) has a sentence of its own", () => {
    const codes: string[] = openapi.definitions.Problem.properties.code.enum;
    expect(codes.length).toBeGreaterThan(20);
    const missing = codes.filter((code) => sentenceForCode(code) === undefined);
    expect(missing).toEqual([]);
  });

  test("the sentence comes from the code, not the status", () => {
    expect(describeProblem({ status: 403, code: "access_revoked" })).toBe(
      "Your access to this process was removed.",
    );
    expect(describeProblem({ status: 403, code: "forbidden" })).toBe("You don't have permission to do that.");
    expect(describeProblem({ status: 412, code: "precondition_failed" })).toMatch(
      /Someone else changed this process/,
    );
  });

  test("validation errors name each field as a person reads it", () => {
    const problem = toProblem(400, {
      code: "validation_failed",
      errors: [
        { field: "name", message: "must be at most 200 characters" },
        { field: "recipients.2.email", message: "is not an email address" },
        { nonsense: true },
      ],
    });
    expect(describeProblem(problem)).toBe(
      "Some of what you entered isn't valid. Name: must be at most 200 characters; People: is not an email address.",
    );
  });

  test("an unknown code, or no body at all, still gets a sentence from the status", () => {
    expect(describeProblem(toProblem(404, "<html>"))).toMatch(/doesn't exist/);
    expect(describeProblem(toProblem(503, { code: "something_new" }))).toMatch(/unavailable right now/);
    expect(describeProblem(toProblem(418, null))).toBe("Something went wrong. Try again.");
  });
});

describe("paging", () => {
  const api = "http://localhost:7071";

  test("the next page is the nextLink resolved against the API's origin; none on the last page", () => {
    expect(nextPageUrl(api, { value: [], nextLink: "/api/processes?top=20&continuationToken=abc" })).toBe(
      "http://localhost:7071/api/processes?top=20&continuationToken=abc",
    );
    expect(nextPageUrl(api, { value: [] })).toBeUndefined();
  });

  test("a nextLink that leaves the API's origin is refused, so that the token never goes elsewhere", () => {
    expect(() => nextPageUrl(api, { value: [], nextLink: "https://evil.example/api/processes" })).toThrow(
      /origin/,
    );
    expect(() => nextPageUrl(api, { value: [], nextLink: "//evil.example/x" })).toThrow(/origin/);
  });

  test("a page appended shows nothing twice", () => {
    const shown = [{ id: "a" }, { id: "b" }];
    expect(appendPage(shown, { value: [{ id: "b" }, { id: "c" }] }).map((item) => item.id)).toEqual([
      "a",
      "b",
      "c",
    ]);
  });
});

describe("roles and names", () => {
  test("each kind offers its own roles, the least first, never the owner", () => {
    expect(grantableRoles("processMining")).toEqual(["viewer", "coOwner"]);
    expect(grantableRoles("taskMining")).toEqual(["contributor", "coOwner"]);
    expect(roleLabel(null)).toBe("No access");
  });
});

describe("share results", () => {
  test("a 207's results say per person what happened, failures in words from their code", () => {
    const names = new Map([
      ["b0b", "Bob Brown"],
      ["nobody@contoso.example", "nobody@contoso.example"],
    ]);
    const lines = describeShareResults(
      [
        { recipient: { id: "b0b" }, principalId: "b0b", status: "granted" },
        {
          recipient: { email: "nobody@contoso.example" },
          status: "failed",
          error: { code: "principal_not_found" },
        },
      ],
      names,
    );
    expect(lines).toEqual([
      { who: "Bob Brown", ok: true, text: "now has access" },
      { who: "nobody@contoso.example", ok: false, text: "No one in your organization has this address." },
    ]);
    expect(shareSummary(lines)).toBe("Shared with 1 of 2 people; 1 failed.");
  });

  test("summaries for all-good, all-failed and one person", () => {
    const ok = { who: "a", ok: true, text: "" };
    const failed = { who: "b", ok: false, text: "" };
    expect(shareSummary([ok])).toBe("Shared.");
    expect(shareSummary([ok, ok])).toBe("Shared with 2 people.");
    expect(shareSummary([failed, failed])).toBe("Not shared with anyone.");
  });
});

describe("invitations", () => {
  test("each status in words", () => {
    expect(invitationLabel({ status: "pending" })).toBe("Invitation pending");
    expect(invitationLabel({ status: "notRequested" })).toBe("No invitation sent");
    expect(invitationLabel(null)).toBe("");
  });

  test("Retry-After in seconds or as a date, and the cooldown in words", () => {
    const now = new Date("2026-01-01T00:00:00Z");
    expect(retryAfterSeconds("120", now)).toBe(120);
    expect(retryAfterSeconds("Thu, 01 Jan 2026 00:01:00 GMT", now)).toBe(60);
    expect(retryAfterSeconds("garbage", now)).toBeUndefined();
    expect(retryAfterSeconds(null, now)).toBeUndefined();
    expect(cooldownText(240)).toBe("You can re-send in 4 minutes.");
    expect(cooldownText(30)).toBe("You can re-send in 30 seconds.");
  });
});

describe("routes", () => {
  test("the invitation links' paths open the process", () => {
    expect(parseRoute("/processes/abc")).toEqual({ name: "process", id: "abc" });
    expect(parseRoute("/processes/abc/analytics")).toEqual({ name: "process", id: "abc" });
    expect(parseRoute("/")).toEqual({ name: "processes" });
    expect(parseRoute("/processes/%E0%A4%A")).toEqual({ name: "notFound", path: "/processes/%E0%A4%A" });
    expect(routePath({ name: "process", id: "a/b" })).toBe("/processes/a%2Fb");
  });
});

describe("the people picker and the message", () => {
  test("searching waits for two characters; a whole address can be shared with as typed", () => {
    expect(searchTerm("b")).toBeUndefined();
    expect(searchTerm(" bo ")).toBe("bo");
    expect(looksLikeEmail("nobody@contoso.example")).toBe(true);
    expect(looksLikeEmail("bob")).toBe(false);
    expect(looksLikeEmail("a b@c.d")).toBe(false);
  });

  test("the message counter counts as the API does and says when it is over", () => {
    expect(characterCount("x".repeat(2000), 2000)).toEqual({ label: "2,000 / 2,000", over: false });
    expect(characterCount("x".repeat(2001), 2000).over).toBe(true);
    expect(parseLabels(" a, B ,b,, c ")).toEqual(["a", "B", "c"]);
  });
});

describe("config.json", () => {
  test("dev and Entra configurations are read; anything missing is named", () => {
    expect(parseConfig({ apiBaseUrl: "http://localhost:7071/", auth: { mode: "dev", users: [] } })).toEqual({
      apiBaseUrl: "http://localhost:7071",
      auth: { mode: "dev", users: [] },
    });
    expect(() =>
      parseConfig({
        apiBaseUrl: "https://api.example",
        auth: { mode: "entra", clientId: "x", authority: "y" },
      }),
    ).toThrow(/"scope" is missing/);
    expect(() => parseConfig({ auth: { mode: "dev" } })).toThrow(/apiBaseUrl/);
  });
});
