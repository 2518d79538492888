import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { describe, expect, test } from "vitest";

import * as errors from "../../shared/errors.js";
import { devProblemCodes, problemCodes } from "../../shared/errors.js";

/**
 * Every problem code the app can answer is in the errors module's registry, and the registry is
 * what the OpenAPI definition and the README's table say. The codes are also read out of the
 * source itself, so that a code made outside an error's constructor (a share result's) is held
 * to the registry too.
 */

const root = fileURLToPath(new URL("../../", import.meta.url));
const registered = new Set<string>([...Object.keys(problemCodes), ...Object.keys(devProblemCodes)]);

function sourceFiles(folder: string): string[] {
  return readdirSync(join(root, folder), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".ts"))
    .map((entry) => join(entry.parentPath, entry.name));
}

/** The errors module's classes that answer a problem, by name, with the status they answer. */
const statusOfClass = new Map<string, number>(
  Object.entries(errors)
    .filter(
      ([, value]) =>
        typeof value === "function" &&
        (value as { prototype?: unknown }).prototype instanceof errors.AppError,
    )
    .map(([name, value]) => {
      const instance = Reflect.construct(value as new (...args: unknown[]) => errors.AppError, [
        "not_found",
        "",
        1,
      ]);
      return [name, instance.status] as const;
    }),
);

interface Use {
  readonly code: string;
  readonly where: string;
  /** The error class it is made with, when it is. */
  readonly errorClass?: string;
}

/** Codes as the source writes them: an error's first argument, `super("…")`, `code: "…"`, `fail("…")`. */
function codesInSource(): Use[] {
  const uses: Use[] = [];
  for (const file of [...sourceFiles("shared"), ...sourceFiles("functions"), ...sourceFiles("local")]) {
    const text = readFileSync(file, "utf8");
    const where = file.slice(root.length);
    for (const match of text.matchAll(/new (\w+Error)\(\s*"([a-z]+(?:_[a-z]+)*)"/g)) {
      const [, errorClass = "", code = ""] = match;
      // A plain Error's message, or a storage race (not answered to clients), is no problem code.
      if (errorClass === "Error" || errorClass === "ConcurrencyError") continue;
      uses.push({ code, where, errorClass });
    }
    for (const match of text.matchAll(/(?:super|fail)\(\s*"([a-z]+(?:_[a-z]+)*)"/g)) {
      uses.push({ code: match[1] ?? "", where });
    }
    for (const match of text.matchAll(/\bcode: "([a-z]+(?:_[a-z]+)*)"/g)) {
      // zod's own issue code, in schemas' refinements.
      if (match[1] === "custom") continue;
      uses.push({ code: match[1] ?? "", where });
    }
  }
  return uses;
}

function openApiCodes(definition: string): string[] {
  const doc = JSON.parse(readFileSync(join(root, "shared/openapi/openapi.json"), "utf8")) as {
    definitions: Record<string, { properties?: Record<string, { enum?: string[] }> }>;
  };
  return doc.definitions[definition]?.properties?.code?.enum ?? [];
}

describe("problem codes: one registry", () => {
  test("every code the source makes is registered, with the status of the error it is made with", () => {
    const uses = codesInSource();
    // The extraction must see the app's codes, or this test would pass on nothing.
    expect(uses.length).toBeGreaterThan(40);
    const unregistered = uses
      .filter((use) => !registered.has(use.code))
      .map((use) => `${use.code} (${use.where})`);
    expect(unregistered).toEqual([]);
    const wrongStatus = uses
      .filter((use) => use.errorClass !== undefined && statusOfClass.has(use.errorClass))
      .filter((use) => {
        const entry = { ...problemCodes, ...devProblemCodes }[use.code as errors.ProblemCode];
        return entry.status !== statusOfClass.get(use.errorClass ?? "");
      })
      .map((use) => `${use.code} as ${use.errorClass} (${use.where})`);
    expect(wrongStatus).toEqual([]);
  });

  test("every registered API code is made somewhere in the source (no stale entries)", () => {
    const made = new Set(codesInSource().map((use) => use.code));
    // Codes chosen in a conditional expression, so not written as a constructor's first argument.
    for (const code of ["owner_cannot_leave", "directory_throttled", "share_failed"]) made.add(code);
    expect(Object.keys(problemCodes).filter((code) => !made.has(code))).toEqual([]);
  });

  test("the OpenAPI Problem schema lists exactly the registered API codes; a share result's codes are among them", () => {
    expect([...openApiCodes("Problem")].sort()).toEqual(Object.keys(problemCodes).sort());
    const shareCodes = openApiCodes("ShareError");
    expect(shareCodes.length).toBeGreaterThan(0);
    expect(shareCodes.filter((code) => !(code in problemCodes))).toEqual([]);
    expect(shareCodes).toEqual(expect.arrayContaining(["duplicate_recipient", "principal_not_found"]));
  });

  test("the README's table has a row for every API code, with its status", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    const rows = new Map(
      [...readme.matchAll(/^\| `([a-z_]+)`\s*\| (\d{3})\s*\|/gm)].map((row) => [
        row[1] ?? "",
        Number(row[2]),
      ]),
    );
    const missing = Object.entries(problemCodes)
      .filter(([code, entry]) => rows.get(code) !== entry.status)
      .map(([code, entry]) => `${code} ${entry.status} (README: ${rows.get(code) ?? "none"})`);
    expect(missing).toEqual([]);
    for (const code of Object.keys(devProblemCodes)) expect(readme).toContain(`\`${code}\``);
  });

  test("an error cannot be made with an unregistered code (checked by the compiler)", () => {
    // @ts-expect-error -- "made_up" is not in the registry
    const error = new errors.ConflictError("made_up", "never answered");
    expect(errors.isProblemCode(error.code)).toBe(false);
    expect(errors.isProblemCode("access_revoked")).toBe(true);
    expect(errors.isProblemCode("toString")).toBe(false);
  });
});
