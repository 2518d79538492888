import { describe, expect, test } from "vitest";

import { parseSchedule, ScheduleError } from "../../local/host/ncrontab.js";
import { decodeMessage, encodeMessage, MessageDecodingError } from "../../local/host/queueRunner.js";
import { compareRoutes, compileRoute, pathSegments, RouteTemplateError } from "../../local/host/routes.js";
import {
  parseTimeSpan,
  resolveBindingExpression,
  resolveStorageConnection,
} from "../../local/host/settings.js";

const match = (template: string, path: string) => compileRoute(template).match(pathSegments(path));

describe("route templates", () => {
  test("a plain parameter captures one segment and literals match case-insensitively", () => {
    expect(match("api/processes/{id}", "/API/Processes/abc")).toEqual({ id: "abc" });
    expect(match("api/processes/{id}", "/api/processes")).toBeUndefined();
    expect(match("api/processes/{id}", "/api/processes/a/b")).toBeUndefined();
  });

  test("typed segments only accept values of their type", () => {
    expect(match("p/{id:guid}", "/p/3c5e0f3a-7b1d-4f0e-9a52-5d6c2b8e4f01")).toEqual({
      id: "3c5e0f3a-7b1d-4f0e-9a52-5d6c2b8e4f01",
    });
    expect(match("p/{id:guid}", "/p/not-a-guid")).toBeUndefined();
    expect(match("p/{n:int}", "/p/12")).toEqual({ n: "12" });
    expect(match("p/{n:int}", "/p/1.5")).toBeUndefined();
    expect(match("p/{n:int:min(2)}", "/p/1")).toBeUndefined();
    expect(match("p/{n:range(1,3)}", "/p/3")).toEqual({ n: "3" });
    expect(match("p/{flag:bool}", "/p/TRUE")).toEqual({ flag: "TRUE" });
    expect(match("p/{code:alpha:length(3)}", "/p/abc")).toEqual({ code: "abc" });
    expect(match("p/{code:regex(^x\\d+$)}", "/p/x12")).toEqual({ code: "x12" });
    expect(match("p/{code:regex(^x\\d+$)}", "/p/y12")).toBeUndefined();
  });

  test("optional parameters, defaults and catch-alls", () => {
    expect(match("echo/{name?}", "/echo")).toEqual({});
    expect(match("echo/{name?}", "/echo/x")).toEqual({ name: "x" });
    expect(match("page/{n=1}", "/page")).toEqual({ n: "1" });
    expect(match("files/{*rest}", "/files/a/b%20c/d.txt")).toEqual({ rest: "a/b c/d.txt" });
    expect(match("files/{*rest}", "/files")).toEqual({});
  });

  test("a parameter may share a segment with literal text", () => {
    expect(match("download/{name}.{ext}", "/download/report.csv")).toEqual({ name: "report", ext: "csv" });
  });

  test("a parameter matches any segment, as ASP.NET Core's matcher does: a line feed, a tab, an encoded slash", () => {
    expect(match("api/processes/{id}", "/api/processes/a%0Ab")).toEqual({ id: "a\nb" });
    expect(match("api/processes/{id}/access", "/api/processes/%0A%09/access")).toEqual({ id: "\n\t" });
    expect(match("p/{name}.{ext}", "/p/a%0Ab.c%0Ad")).toEqual({ name: "a\nb", ext: "c\nd" });
    expect(match("files/{*rest}", "/files/a%0A/b")).toEqual({ rest: "a\n/b" });
  });

  test("a path is decoded as Kestrel decodes it: %2F stays encoded in its segment, bad escapes stay as they are", () => {
    expect(pathSegments("/api/processes/a%2Fb")).toEqual(["api", "processes", "a%2Fb"]);
    expect(pathSegments("/api/x%2fy%20z")).toEqual(["api", "x%2fy z"]);
    expect(pathSegments("/api/%ZZ/100%")).toEqual(["api", "%ZZ", "100%"]);
    expect(pathSegments("/api/%C3%A9%FF")).toEqual(["api", "é%FF"]);
  });

  test("a malformed template is refused with the template named", () => {
    expect(() => compileRoute("a/{id:unknown}")).toThrow(RouteTemplateError);
    expect(() => compileRoute("a/{*rest}/b")).toThrow(/catch-all/);
    expect(() => compileRoute("a/{id")).toThrow(/unclosed/);
  });
});

describe("route order", () => {
  // Registered in the worst order: the host sorts them (WebJobsRouteBuilder's RouteComparison).
  const templates = [
    "api/{*path}",
    "api/processes/{id}",
    "api/processes/{id:guid}",
    "api/processes/{n:int:min(1)}",
    "api/processes/{id}/access",
    "api/processes",
    "api/me",
    "api/Health",
  ];
  const sorted = () =>
    templates
      .map(compileRoute)
      .sort(compareRoutes)
      .map((route) => route.template);

  test("literal segments before parameters (in ordinal order), longer templates first, the catch-all last", () => {
    const order = sorted();
    expect(order.at(-1)).toBe("api/{*path}");
    expect(order.indexOf("api/processes/{id}/access")).toBeLessThan(order.indexOf("api/processes/{id}"));
    expect(order.slice(0, 2)).toEqual(["api/Health", "api/me"]);
    expect(order.at(-2)).toBe("api/processes");
  });

  test("between parameters, the one with more inline constraints first", () => {
    const order = sorted();
    expect(order.indexOf("api/processes/{n:int:min(1)}")).toBeLessThan(
      order.indexOf("api/processes/{id:guid}"),
    );
    expect(order.indexOf("api/processes/{id:guid}")).toBeLessThan(order.indexOf("api/processes/{id}/access"));
  });
});

describe("NCRONTAB schedules", () => {
  const from = new Date("2025-03-10T10:15:30.500Z");

  test("every fifth second", () => {
    expect(parseSchedule("*/5 * * * * *").next(from)?.toISOString()).toBe("2025-03-10T10:15:35.000Z");
  });

  test("lists, ranges and day names", () => {
    const schedule = parseSchedule("0 0 9,17 * * Mon-Fri");
    expect(schedule.next(from)?.toISOString()).toBe("2025-03-10T17:00:00.000Z");
    expect(schedule.next(new Date("2025-03-14T17:00:00Z"))?.toISOString()).toBe("2025-03-17T09:00:00.000Z");
  });

  test("month and day of month roll over the year", () => {
    expect(parseSchedule("0 30 2 1 Jan *").next(from)?.toISOString()).toBe("2026-01-01T02:30:00.000Z");
  });

  test("a schedule that never occurs has no next occurrence", () => {
    expect(parseSchedule("0 0 0 30 2 *").next(from)).toBeUndefined();
  });

  test("five fields or values out of range are refused clearly", () => {
    expect(() => parseSchedule("* * * * *")).toThrow(/six fields/);
    expect(() => parseSchedule("0 60 * * * *")).toThrow(ScheduleError);
    expect(() => parseSchedule("0 */0 * * * *")).toThrow(/step/);
  });
});

describe("settings as the Functions host reads them", () => {
  test("host.json durations are TimeSpans", () => {
    expect(parseTimeSpan("00:00:30", "x")).toBe(30_000);
    expect(parseTimeSpan("01:02:03.5", "x")).toBe(3_723_500);
    expect(parseTimeSpan("1.00:00:00", "x")).toBe(86_400_000);
    expect(() => parseTimeSpan("30s", "extensions.queues.visibilityTimeout")).toThrow(/visibilityTimeout/);
  });

  test("%SETTING% expressions resolve from the settings and name a missing one", () => {
    expect(resolveBindingExpression("%QUEUE%-x", { QUEUE: "invitations" })).toBe("invitations-x");
    expect(() => resolveBindingExpression("%NOPE%", {})).toThrow(/%NOPE%/);
  });

  test("a connection is a setting holding a connection string; identity-based ones are explained", () => {
    expect(resolveStorageConnection("Storage", { Storage: "UseDevelopmentStorage=true" })).toBe(
      "UseDevelopmentStorage=true",
    );
    expect(resolveStorageConnection("Storage", { AzureWebJobsStorage: "a=b" })).toBe("a=b");
    expect(resolveStorageConnection(undefined, { AzureWebJobsStorage: "c=d" })).toBe("c=d");
    expect(() => resolveStorageConnection("Storage", { Storage__queueServiceUri: "https://x" })).toThrow(
      /connection string/,
    );
    expect(() => resolveStorageConnection("Missing", {})).toThrow(/"Missing" is not set/);
  });
});

describe("queue message encoding", () => {
  test("base64 JSON messages reach the function parsed, text stays text", () => {
    expect(decodeMessage(encodeMessage('{"a":1}', "base64"), "base64")).toEqual({ a: 1 });
    expect(decodeMessage(encodeMessage("hello", "base64"), "base64")).toBe("hello");
    expect(decodeMessage("plain", "none")).toBe("plain");
  });

  test("a message that is not base64 is refused when the host expects base64", () => {
    expect(() => decodeMessage("not base64!", "base64")).toThrow(MessageDecodingError);
  });
});
