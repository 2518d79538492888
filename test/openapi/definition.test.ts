import { fileURLToPath } from "node:url";

import { beforeAll, describe, expect, test } from "vitest";

import { loadFunctionApp, type RegisteredFunction, triggerOf } from "../../local/host/functionsCore.js";
import definition from "../../shared/openapi/openapi.json" with { type: "json" };
import { applySampleSettings } from "../support/settings.js";
import { schemaErrors, type SchemaObject } from "./schemaCheck.js";

/** The definition as plain data: its literal JSON type is too narrow to walk generically. */
const doc = definition as unknown as Swagger;
const methods = ["get", "put", "post", "delete", "options", "head", "patch"] as const;

interface Parameter {
  readonly $ref?: string;
  readonly name: string;
  readonly in: "path" | "query" | "header" | "body" | "formData";
  readonly required?: boolean;
  readonly type?: string;
  readonly schema?: SchemaObject;
  readonly "x-ms-summary"?: string;
}
interface Operation {
  readonly operationId?: string;
  readonly summary?: string;
  readonly description?: string;
  readonly parameters?: readonly Parameter[];
  readonly responses?: Record<string, { description?: string; schema?: SchemaObject }>;
  readonly security?: readonly Record<string, readonly string[]>[];
  readonly consumes?: readonly string[];
}
interface Swagger {
  readonly swagger: string;
  readonly info: { title?: string; version?: string; description?: string };
  readonly host: string;
  readonly basePath: string;
  readonly schemes: readonly string[];
  readonly consumes: readonly string[];
  readonly produces: readonly string[];
  readonly paths: Record<string, Partial<Record<(typeof methods)[number], Operation>>>;
  readonly definitions: Record<string, SchemaObject & { properties?: Record<string, SchemaObject> }>;
  readonly parameters: Record<string, Parameter>;
  readonly securityDefinitions: Record<
    string,
    { type: string; flow: string; authorizationUrl: string; tokenUrl: string; scopes: Record<string, string> }
  >;
  readonly security: readonly Record<string, readonly string[]>[];
}

const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
  methods.flatMap((method) => {
    const operation = item[method];
    return operation === undefined ? [] : [{ path, method, operation }];
  }),
);

function resolveParameter(parameter: Parameter): Parameter {
  if (parameter.$ref === undefined) return parameter;
  const name = /^#\/parameters\/(.+)$/.exec(parameter.$ref)?.[1] ?? "";
  const target = doc.parameters[name];
  if (target === undefined) throw new Error(`unresolved parameter ${parameter.$ref}`);
  return target;
}

describe("routes and operations", () => {
  let routes: string[];

  beforeAll(async () => {
    applySampleSettings();
    const functions: RegisteredFunction[] = await loadFunctionApp(
      fileURLToPath(new URL("../../functions/index.ts", import.meta.url)),
    );
    routes = functions
      .map(triggerOf)
      // The catch-all (functions/notFound.ts) is no operation: it answers what no operation does.
      .filter((trigger) => trigger.type === "httpTrigger" && trigger.route !== "{*path}")
      .flatMap((trigger) =>
        (trigger.methods as string[]).map(
          (method) =>
            `${method.toUpperCase()} /api/${String(trigger.route).replace(/\{(\w+)(:[^}]*)?\??\}/g, "{$1}")}`,
        ),
      );
  });

  test("every registered HTTP route has an operation with the same method and path", () => {
    const documented = new Set(
      operations.map(({ path, method }) => `${method.toUpperCase()} ${doc.basePath}${path}`),
    );
    expect(routes.length).toBeGreaterThan(10);
    expect(routes.filter((route) => !documented.has(route))).toEqual([]);
  });

  test("every operation has a registered route", () => {
    const registered = new Set(routes);
    const orphans = operations
      .map(({ path, method }) => `${method.toUpperCase()} ${doc.basePath}${path}`)
      .filter((operation) => !registered.has(operation));
    expect(orphans).toEqual([]);
  });
});

describe("Swagger 2.0 structure", () => {
  test("the document's top level is Swagger 2.0 with a title, version, host, base path and media types", () => {
    expect(doc.swagger).toBe("2.0");
    expect(doc.info.title).toMatch(/^.{1,30}$/);
    expect(doc.info.version).toBeTruthy();
    expect(doc.info.description?.length).toBeGreaterThanOrEqual(30);
    expect(doc.host).toMatch(/^[\w.-]+(:\d+)?$/);
    expect(doc.basePath).toBe("/api");
    expect(doc.schemes.every((scheme) => ["http", "https"].includes(scheme))).toBe(true);
    expect(doc.consumes).toContain("application/json");
    expect(doc.produces).toEqual(expect.arrayContaining(["application/json", "application/problem+json"]));
  });

  test("an Entra oauth2 accessCode security definition with the API's scope secures every call but health and the definition", () => {
    const oauth2 = doc.securityDefinitions.oauth2;
    expect(oauth2).toMatchObject({ type: "oauth2", flow: "accessCode" });
    expect(oauth2?.authorizationUrl).toMatch(
      /^https:\/\/login\.microsoftonline\.com\/.+\/oauth2\/v2\.0\/authorize$/,
    );
    expect(oauth2?.tokenUrl).toMatch(/^https:\/\/login\.microsoftonline\.com\/.+\/oauth2\/v2\.0\/token$/);
    const scopes = Object.keys(oauth2?.scopes ?? {});
    expect(scopes).toEqual([expect.stringMatching(/^api:\/\/.+\/Process\.ReadWrite$/)]);
    expect(doc.security).toEqual([{ oauth2: scopes }]);
    const anonymous = operations
      .filter(({ operation }) => operation.security?.length === 0)
      .map(({ path }) => path);
    expect(anonymous.sort()).toEqual(["/health", "/openapi.json"]);
  });

  test("every operation has a unique operationId, a summary, a description and described responses", () => {
    const ids = operations.map(({ operation }) => operation.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { path, method, operation } of operations) {
      const where = `${method} ${path}`;
      expect(operation.operationId, where).toMatch(/^[A-Za-z][A-Za-z0-9]*$/);
      // Power Platform shows the summary as the action's name: short, no trailing period.
      expect(operation.summary, where).toMatch(/^[A-Z][A-Za-z0-9 ()]{1,79}$/);
      expect(operation.description?.length, where).toBeGreaterThan(operation.summary?.length ?? 0);
      const responses = Object.entries(operation.responses ?? {});
      expect(responses.length, where).toBeGreaterThan(0);
      for (const [status, response] of responses) {
        expect(status, where).toMatch(/^([1-5]\d\d|default)$/);
        expect(response.description, `${where} ${status}`).toBeTruthy();
      }
    }
  });

  test("every parameter resolves, has x-ms-summary, and path parameters match the path and are required", () => {
    for (const { path, method, operation } of operations) {
      const parameters = (operation.parameters ?? []).map(resolveParameter);
      const where = `${method} ${path}`;
      const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
      expect(
        parameters.filter((parameter) => parameter.in === "path").map((parameter) => parameter.name),
        where,
      ).toEqual(inPath);
      expect(parameters.filter((parameter) => parameter.in === "body").length, where).toBeLessThanOrEqual(1);
      for (const parameter of parameters) {
        expect(parameter["x-ms-summary"], `${where} ${parameter.name}`).toBeTruthy();
        if (parameter.in === "path") expect(parameter.required, `${where} ${parameter.name}`).toBe(true);
        if (parameter.in === "body") {
          expect(parameter.schema, where).toBeDefined();
          expect(operation.consumes ?? doc.consumes, where).toContain("application/json");
        } else {
          expect(parameter.type, `${where} ${parameter.name}`).toMatch(
            /^(string|integer|number|boolean|array)$/,
          );
        }
      }
    }
  });

  test("every property of every definition has x-ms-summary and a description, and every $ref resolves", () => {
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
    for (const ref of refs) {
      const [, kind, name] = /#\/(definitions|parameters)\/([^"]+)/.exec(ref) ?? [];
      expect(
        kind === "definitions" ? doc.definitions[name ?? ""] : doc.parameters[name ?? ""],
        ref,
      ).toBeDefined();
    }
    for (const [name, schema] of Object.entries(doc.definitions)) {
      expect(schema.type, name).toBe("object");
      for (const [property, propertySchema] of Object.entries(schema.properties ?? {})) {
        const described = propertySchema as { "x-ms-summary"?: string; description?: string; $ref?: string };
        expect(described["x-ms-summary"], `${name}.${property}`).toBeTruthy();
        if (described.$ref === undefined) expect(described.description, `${name}.${property}`).toBeTruthy();
      }
      for (const required of schema.required ?? []) expect(schema.properties, name).toHaveProperty(required);
    }
  });

  test("every error response is a problem with the code enum (health's 503 is its own status body)", () => {
    for (const { path, method, operation } of operations) {
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        if (Number(status) >= 400 && path !== "/health")
          expect(response.schema, `${method} ${path} ${status}`).toEqual({ $ref: "#/definitions/Problem" });
      }
    }
    const codes = (doc.definitions.Problem?.properties?.code?.enum ?? []) as string[];
    expect(codes).toEqual(
      expect.arrayContaining(["validation_failed", "invalid_token", "not_found", "access_revoked"]),
    );
  });
});

describe("the schema checker", () => {
  const definitions = doc.definitions;
  const process = { $ref: "#/definitions/Process" };
  const valid = {
    id: "0f8fad5b-d9cb-469f-a165-70867728950e",
    kind: "taskMining",
    name: "Invoices",
    description: "",
    ownerId: "7c9e6679-7425-40de-944b-e07fc1f90ae7",
    createdAt: "2025-01-31T12:34:56.789Z",
    updatedAt: "2025-01-31T12:34:56.789Z",
    myRole: null,
    actions: ["read"],
  };

  test("accepts a conforming value, null where x-nullable", () => {
    expect(schemaErrors(process, valid, definitions)).toEqual([]);
  });

  test("refuses a missing field, an unknown field, a wrong type, a value off the enum and a bad format", () => {
    const { name: _name, ...missing } = valid;
    expect(schemaErrors(process, missing, definitions)).toEqual(["$.name: is required"]);
    expect(schemaErrors(process, { ...valid, secret: 1 }, definitions)).toEqual([
      "$.secret: is not in the definition",
    ]);
    expect(schemaErrors(process, { ...valid, name: 7 }, definitions)).toEqual([
      "$.name: is integer, expected string",
    ]);
    expect(schemaErrors(process, { ...valid, kind: "other" }, definitions)).toHaveLength(1);
    expect(schemaErrors(process, { ...valid, actions: ["fly"] }, definitions)).toHaveLength(1);
    expect(schemaErrors(process, { ...valid, id: "not-a-guid" }, definitions)).toEqual([
      "$.id: is not a uuid",
    ]);
    expect(schemaErrors(process, { ...valid, ownerId: null }, definitions)).toEqual([
      "$.ownerId: is null but not nullable",
    ]);
  });

  test("refuses a schema keyword it does not implement instead of ignoring it", () => {
    expect(() => schemaErrors({ pattern: "^a$" } as SchemaObject, "b", definitions)).toThrow(/pattern/);
  });
});
