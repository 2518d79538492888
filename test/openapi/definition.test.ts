import { fileURLToPath } from "node:url";

import { beforeAll, describe, expect, test } from "vitest";
import type { ZodType } from "zod";

import apiProperties from "../../connector/apiProperties.json" with { type: "json" };
import { loadFunctionApp, type RegisteredFunction, triggerOf } from "../../local/host/functionsCore.js";
import { changeRoleSchema, createProcessSchema, shareSchema, updateProcessSchema } from "../../shared/api.js";
import definition from "../../shared/openapi/openapi.json" with { type: "json" };
import { addRecordingSchema, updateRecordingSchema } from "../../shared/recordings/recordingSchemas.js";
import { applySampleSettings } from "../support/settings.js";
import {
  apiPropertiesErrors,
  connectorDefinitionErrors,
  connectorSchemaFolder,
  swaggerParserErrors,
} from "./connectorSchemas.js";
import { type SchemaValidator, schemaValidator } from "./schemaValidator.js";

/** A Swagger 2.0 schema object, as far as these tests look into one. */
interface SchemaObject {
  readonly $ref?: string;
  readonly type?: string;
  readonly enum?: readonly unknown[];
  readonly required?: readonly string[];
  readonly properties?: Readonly<Record<string, SchemaObject>>;
  readonly "x-nullable"?: boolean;
}

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
  readonly "x-ms-pageable"?: { readonly nextLinkName: string };
}
interface Swagger {
  readonly swagger: string;
  readonly info: {
    title?: string;
    version?: string;
    description?: string;
    contact?: { name?: string; url?: string; email?: string };
  };
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
  readonly "x-ms-connector-metadata"?: readonly { propertyName: string; propertyValue: string }[];
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

  test("every property of every definition has x-ms-summary and a description, unless it is a $ref, and every $ref resolves", () => {
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
        if (described.$ref !== undefined) continue;
        expect(described["x-ms-summary"], `${name}.${property}`).toBeTruthy();
        expect(described.description, `${name}.${property}`).toBeTruthy();
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

describe("Power Platform import", () => {
  test("the definition validates against the connector repository's own schema", () => {
    expect(connectorSchemaFolder).toMatch(/[\\/]shared[\\/]powerplatform-connector[\\/]$/);
    expect(connectorDefinitionErrors(doc)).toEqual([]);
  });

  test("the definition passes @apidevtools/swagger-parser's schema and spec validation", async () => {
    expect(await swaggerParserErrors(doc)).toEqual([]);
  });

  test("both validators refuse an empty required list, as the connector importer does", async () => {
    const broken = structuredClone(definition) as any;
    broken.definitions.ProcessChanges.required = [];
    expect(connectorDefinitionErrors(broken)).toEqual([
      expect.stringMatching(/^\/definitions\/ProcessChanges\/required: must NOT have fewer than 1 items/),
    ]);
    expect((await swaggerParserErrors(broken)).join("\n")).toMatch(
      /ProcessChanges\/required must NOT have fewer than 1 items/,
    );
  });

  test("nothing stands beside a $ref (Power Platform drops it)", () => {
    const beside: string[] = [];
    const walk = (node: unknown, at: string): void => {
      if (node === null || typeof node !== "object") return;
      if (typeof (node as { $ref?: unknown }).$ref === "string" && Object.keys(node).length > 1)
        beside.push(at);
      for (const [key, value] of Object.entries(node)) walk(value, `${at}/${key}`);
    };
    walk(doc, "#");
    expect(beside).toEqual([]);
  });

  test("every secured operation documents 401 and 403 (insufficient_scope among its codes)", () => {
    const secured = operations.filter(({ operation }) => operation.security?.length !== 0);
    expect(secured.length).toBeGreaterThan(10);
    for (const { path, method, operation } of secured) {
      expect(operation.responses?.["401"]?.description, `${method} ${path}`).toMatch(/invalid_token/);
      expect(operation.responses?.["403"]?.description, `${method} ${path}`).toMatch(/insufficient_scope/);
    }
  });

  test("the paged lists are x-ms-pageable on nextLink, and only they", () => {
    const pageable = operations
      .filter(({ operation }) => operation["x-ms-pageable"] !== undefined)
      .map(({ operation }) => [operation.operationId, operation["x-ms-pageable"]?.nextLinkName]);
    const paged = operations
      .filter(({ operation }) =>
        (operation.parameters ?? []).some((parameter) => parameter.$ref === "#/parameters/continuationToken"),
      )
      .map(({ operation }) => [operation.operationId, "nextLink"]);
    expect(pageable).toEqual(paged);
    expect(pageable.map(([id]) => id)).toEqual(["ListProcesses", "ListAudit", "ListRecordings"]);
  });

  test("the definition names a contact and carries the connector metadata certification asks for", () => {
    expect(doc.info.contact).toEqual({
      name: expect.any(String),
      url: expect.stringMatching(/^https:\/\//),
      email: expect.stringMatching(/^[^@\s]+@[^@\s]+$/),
    });
    const metadata = Object.fromEntries(
      (doc["x-ms-connector-metadata"] ?? []).map(({ propertyName, propertyValue }) => [
        propertyName,
        propertyValue,
      ]),
    );
    expect(Object.keys(metadata).sort()).toEqual(["Categories", "Privacy policy", "Website"]);
    expect(metadata.Website).toMatch(/^https:\/\//);
    expect(metadata["Privacy policy"]).toMatch(/^https:\/\//);
  });

  test("the checked-in apiProperties.json validates against paconn's schema", () => {
    expect(apiPropertiesErrors(apiProperties)).toEqual([]);
  });
});

describe("what the service enforces, the definition says", () => {
  let validator: SchemaValidator;
  beforeAll(() => {
    validator = schemaValidator(doc);
  });
  const agrees = (name: string, zod: ZodType, body: unknown): void => {
    const service = zod.safeParse(body).success;
    const documented = validator.errors({ $ref: `#/definitions/${name}` }, body);
    expect(documented.length === 0, `${name} ${JSON.stringify(body)}: ${documented.join("; ")}`).toBe(
      service,
    );
  };
  const bob = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
  const carol = "0f8fad5b-d9cb-469f-a165-70867728950e";

  test("a share names each recipient once, by id or by email and never both, 1 to 100 of them", () => {
    const share = (recipients: unknown[]) => ({ role: "viewer", recipients });
    const cases = [
      share([{ id: bob }]),
      share([{ email: "bob@contoso.example" }, { id: carol }]),
      share([]),
      share([{}]),
      share([{ id: bob, email: "bob@contoso.example" }]),
      share([{ id: bob }, { id: bob }]),
      share([{ id: "bob" }]),
      share([{ email: "not an address" }]),
      share(Array.from({ length: 100 }, (_, index) => ({ email: `p${index}@contoso.example` }))),
      share(Array.from({ length: 101 }, (_, index) => ({ email: `p${index}@contoso.example` }))),
      { ...share([{ id: bob }]), message: "line one\nline two" },
      { ...share([{ id: bob }]), message: "bell \u0007" },
      { ...share([{ id: bob }]), message: "x".repeat(2001) },
      { ...share([{ id: bob }]), colour: "red" },
    ];
    for (const body of cases) agrees("Share", shareSchema, body);
    expect(validator.errors({ $ref: "#/definitions/Share" }, share([{}]))).not.toEqual([]);
  });

  test("a name is one line of 1 to 200 characters, a description free text without control characters", () => {
    const cases = [
      { kind: "taskMining", name: "Invoices" },
      { kind: "taskMining", name: "" },
      { kind: "taskMining", name: "two\nlines" },
      { kind: "taskMining", name: "x".repeat(201) },
      { kind: "taskMining", name: "Invoices", description: "tab\tand\r\nlines" },
      { kind: "taskMining", name: "Invoices", description: "nul \u0000" },
      { kind: "other", name: "Invoices" },
    ];
    for (const body of cases) agrees("NewProcess", createProcessSchema, body);
    for (const body of [{}, { name: "New" }, { description: "" }, { name: "a\u0085b" }])
      agrees("ProcessChanges", updateProcessSchema, body);
    for (const body of [{ role: "coOwner" }, { role: "owner" }, { role: "viewer", sendInvitation: "no" }])
      agrees("RoleChange", changeRoleSchema, body);
  });

  test("a recording's labels and applications are distinct single lines, bounded in count and length", () => {
    const cases = [
      { name: "Close", labels: ["finance", "close"], applications: ["Excel"], durationSeconds: 60 },
      { name: "Close", labels: ["finance", "finance"] },
      { name: "Close", labels: [""] },
      { name: "Close", labels: ["x".repeat(51)] },
      { name: "Close", labels: Array.from({ length: 21 }, (_, index) => `l${index}`) },
      { name: "Close", applications: ["Excel", "Excel"] },
      { name: "Close", applications: ["two\nlines"] },
      { name: "Close", durationSeconds: 86401 },
    ];
    for (const body of cases) agrees("NewRecording", addRecordingSchema, body);
    for (const body of [{}, { labels: [] }, { labels: ["a", "a"] }, { name: "" }])
      agrees("RecordingChanges", updateRecordingSchema, body);
  });
});

describe("the response validator", () => {
  let validator: SchemaValidator;
  beforeAll(() => {
    validator = schemaValidator(doc);
  });
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
    expect(validator.errors(process, valid)).toEqual([]);
    expect(validator.errors(process, { ...valid, myRole: "viewer" })).toEqual([]);
  });

  test("refuses a missing field, an unknown field, a wrong type, a value off the enum, a bad format and a null", () => {
    const { name: _name, ...missing } = valid;
    expect(validator.errors(process, missing)).toEqual(["$: must have required property 'name'"]);
    expect(validator.errors(process, { ...valid, secret: 1 })).toEqual([
      '$: must NOT have additional properties {"additionalProperty":"secret"}',
    ]);
    expect(validator.errors(process, { ...valid, name: 7 })).toEqual(["$.name: must be string"]);
    expect(validator.errors(process, { ...valid, kind: "other" })).toHaveLength(1);
    expect(validator.errors(process, { ...valid, actions: ["fly"] })).toHaveLength(1);
    expect(validator.errors(process, { ...valid, id: "not-a-guid" })).toEqual([
      '$.id: must match format "uuid"',
    ]);
    expect(validator.errors(process, { ...valid, ownerId: null })).toEqual(["$.ownerId: must be string"]);
  });

  test("an x-nullable enum admits null only when it lists null", () => {
    const nullableEnum = (values: unknown[]) => ({
      definitions: {
        Role: {
          type: "object",
          properties: { role: { type: "string", enum: values, "x-nullable": true } },
        },
      },
    });
    const role = { $ref: "#/definitions/Role" };
    expect(schemaValidator(nullableEnum(["owner"])).errors(role, { role: null })).toHaveLength(1);
    expect(schemaValidator(nullableEnum(["owner", null])).errors(role, { role: null })).toEqual([]);
    expect(schemaValidator(nullableEnum(["owner", null])).errors(role, { role: "viewer" })).toHaveLength(1);
  });

  test("refuses a schema keyword it does not know instead of ignoring it", () => {
    expect(() => validator.errors({ type: "string", "x-unheard-of": 1 }, "b")).toThrow(/x-unheard-of/);
  });
});
