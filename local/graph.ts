import { createHash, randomBytes } from "node:crypto";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

import { importX509, jwtVerify } from "jose";

import { type DevDirectoryData, type DevUser, readDevDirectory } from "../shared/directory/devDirectory.js";
import { searchTokens } from "../shared/directory/graphQuery.js";
import { readBody } from "./http.js";

/**
 * A loopback stand-in of the Microsoft identity platform token endpoint and of the Microsoft
 * Graph v1.0 calls the directory adapter makes, backed by the dev directory JSON. It records
 * every request and can be told to fail (429 + Retry-After, 5xx, 403) or to stall.
 */

export interface GraphStandInOptions {
  /** The users and groups it serves; the bundled dev directory by default. */
  readonly directory?: DevDirectoryData;
  /** The app registration allowed to sign in. */
  readonly clientId: string;
  /** Accepted as `client_secret`. */
  readonly clientSecret?: string;
  /** PEM of a certificate whose key may sign a client assertion. */
  readonly certificatePem?: string;
  /** The API's service principal, whose app role holders come from the users' `appRoles`. */
  readonly servicePrincipalId?: string;
  /** Largest page a list answers before it adds `@odata.nextLink`. */
  readonly pageSize?: number;
  readonly port?: number;
}

export interface RecordedRequest {
  readonly method: string;
  /** Path without the query, e.g. `/v1.0/users`. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  /** The query string exactly as it arrived, still percent-encoded. */
  readonly rawQuery: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: string;
  /** True for a sub-request taken out of a `$batch`. */
  readonly batched: boolean;
}

export interface Fault {
  /** HTTP status to answer with; 0 to stall without answering. */
  readonly status: number;
  readonly retryAfterSeconds?: number;
  /** How many matching requests get this answer (default 1). */
  readonly times?: number;
  /** Only requests whose path starts with this; every Graph request (not the token endpoint) by default. */
  readonly pathPrefix?: string;
}

export interface GraphStandIn {
  readonly url: string;
  readonly requests: readonly RecordedRequest[];
  /** Requests to the token endpoint. */
  tokenRequests(): RecordedRequest[];
  /** Graph requests, optionally only those under a path, batched sub-requests included. */
  graphRequests(pathPrefix?: string): RecordedRequest[];
  fail(fault: Fault): void;
  /** A token for the App Service managed identity endpoint, for `IDENTITY_ENDPOINT`/`IDENTITY_HEADER`. */
  readonly managedIdentity: { readonly endpoint: string; readonly header: string };
  reset(): void;
  close(): Promise<void>;
}

interface GraphAnswer {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

export async function startGraphStandIn(options: GraphStandInOptions): Promise<GraphStandIn> {
  const directory = options.directory ?? readDevDirectory();
  const pageSize = options.pageSize ?? 100;
  const requests: RecordedRequest[] = [];
  const faults: { fault: Fault; left: number }[] = [];
  const issuedTokens = new Set<string>();
  const managedIdentityTokens = new Set<string>();
  const identityHeader = randomBytes(16).toString("hex");
  const stalled = new Set<ServerResponse>();
  const tenantDomain =
    directory.users.find((user) => user.userType === "Member")?.email.split("@")[1] ?? "contoso.example";
  const roleIds = new Map(
    [
      ...new Set([
        ...directory.users.flatMap((user) => user.appRoles),
        ...directory.groups.flatMap((group) => group.appRoles ?? []),
      ]),
    ].map((value) => [value, stableGuid(`role:${value}`)]),
  );
  let baseUrl = "";

  const server: Server = createServer((request, response) => {
    void readBody(request).then(async (bytes) => {
      const body = bytes.toString("utf8");
      const url = new URL(request.url ?? "/", baseUrl);
      const recorded = record(request.method ?? "GET", url, request.headers, body, false);
      const fault = url.pathname.startsWith("/v1.0/") ? takeFault(url.pathname) : undefined;
      if (fault?.status === 0) {
        stalled.add(response);
        response.on("close", () => stalled.delete(response));
        return;
      }
      const answer =
        fault !== undefined
          ? faultAnswer(fault)
          : await route(recorded, url, body, request.headers.authorization);
      send(response, answer);
    });
  });

  function record(
    method: string,
    url: URL,
    headers: Record<string, string | string[] | undefined>,
    body: string,
    batched: boolean,
  ): RecordedRequest {
    const flat: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(headers))
      flat[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
    const entry = {
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      rawQuery: url.search.slice(1),
      headers: flat,
      body,
      batched,
    };
    requests.push(entry);
    return entry;
  }

  function takeFault(path: string): Fault | undefined {
    const index = faults.findIndex(({ fault }) => path.startsWith(fault.pathPrefix ?? "/v1.0/"));
    const entry = faults[index];
    if (entry === undefined) return undefined;
    entry.left -= 1;
    if (entry.left <= 0) faults.splice(index, 1);
    return entry.fault;
  }

  async function route(
    request: RecordedRequest,
    url: URL,
    body: string,
    authorization: string | undefined,
  ): Promise<GraphAnswer> {
    const tokenPath = new RegExp(`^/${directory.tenantId}/oauth2/v2\\.0/token$`, "i");
    if (request.method === "POST" && tokenPath.test(url.pathname)) return await token(body, url);
    if (request.method === "GET" && url.pathname === "/msi/token") return managedIdentityToken(request, url);
    if (!url.pathname.startsWith("/v1.0/"))
      return graphError(404, "Request_ResourceNotFound", "No such endpoint.");
    const bearer = /^Bearer (.+)$/.exec(authorization ?? "")?.[1];
    if (bearer === undefined || !issuedTokens.has(bearer)) {
      return graphError(
        401,
        "InvalidAuthenticationToken",
        "Access token is missing or not issued by this stand-in.",
      );
    }
    if (request.method === "POST" && url.pathname === "/v1.0/$batch") return batch(body, request.headers);
    return graph(request.method, url, body, request.headers);
  }

  async function token(body: string, url: URL): Promise<GraphAnswer> {
    const form = new URLSearchParams(body);
    const refuse = (error: string, description: string): GraphAnswer => ({
      status: 400,
      body: { error, error_description: description },
    });
    if (form.get("grant_type") !== "client_credentials")
      return refuse("unsupported_grant_type", "client_credentials only");
    if (form.get("client_id") !== options.clientId)
      return refuse("unauthorized_client", "AADSTS700016: unknown client");
    if (!(form.get("scope") ?? "").endsWith("/.default"))
      return refuse("invalid_scope", "AADSTS1002012: use /.default");
    const secret = form.get("client_secret");
    const assertion = form.get("client_assertion");
    let accepted = false;
    if (secret !== null) accepted = options.clientSecret !== undefined && secret === options.clientSecret;
    else if (assertion !== null)
      accepted = managedIdentityTokens.has(assertion) || (await certificateSigned(assertion, url));
    if (!accepted)
      return {
        status: 401,
        body: { error: "invalid_client", error_description: "AADSTS7000215: invalid client credential" },
      };
    const accessToken = randomBytes(24).toString("base64url");
    issuedTokens.add(accessToken);
    return {
      status: 200,
      body: { token_type: "Bearer", expires_in: 3599, ext_expires_in: 3599, access_token: accessToken },
    };
  }

  async function certificateSigned(assertion: string, url: URL): Promise<boolean> {
    if (options.certificatePem === undefined) return false;
    try {
      const key = await importX509(options.certificatePem, "PS256");
      const { payload } = await jwtVerify(assertion, key, {
        algorithms: ["PS256", "RS256"],
        issuer: options.clientId,
        subject: options.clientId,
        audience: `${baseUrl}${url.pathname}`,
        // Entra allows clock skew on client assertions; msal stamps nbf/iat from its own clock reading.
        clockTolerance: 300,
      });
      return payload.exp !== undefined;
    } catch {
      return false;
    }
  }

  function managedIdentityToken(request: RecordedRequest, url: URL): GraphAnswer {
    if (request.headers["x-identity-header"] !== identityHeader)
      return { status: 401, body: { error: "bad identity header" } };
    const resource = url.searchParams.get("resource") ?? url.searchParams.get("scope") ?? "";
    if (!resource.startsWith("api://AzureADTokenExchange"))
      return { status: 400, body: { error: "invalid_resource" } };
    const value = randomBytes(24).toString("base64url");
    managedIdentityTokens.add(value);
    const expiresOn = Math.floor(Date.now() / 1000) + 3600;
    return {
      status: 200,
      body: { access_token: value, expires_on: String(expiresOn), resource, token_type: "Bearer" },
    };
  }

  function batch(body: string, headers: Readonly<Record<string, string | undefined>>): GraphAnswer {
    const parsed = JSON.parse(body) as {
      requests?: { id: string; method: string; url: string; headers?: Record<string, string> }[];
    };
    const subRequests = parsed.requests ?? [];
    if (subRequests.length === 0 || subRequests.length > 20) {
      return graphError(400, "BadRequest", "A batch holds 1 to 20 requests.");
    }
    const responses = subRequests.map((sub) => {
      const url = new URL(`/v1.0${sub.url.startsWith("/") ? "" : "/"}${sub.url}`, baseUrl);
      const recorded = record(sub.method, url, { ...headers, ...sub.headers }, "", true);
      const answer = graph(sub.method, url, "", recorded.headers);
      return { id: sub.id, status: answer.status, headers: answer.headers ?? {}, body: answer.body };
    });
    return { status: 200, body: { responses } };
  }

  function graph(
    method: string,
    url: URL,
    body: string,
    headers: Readonly<Record<string, string | undefined>>,
  ): GraphAnswer {
    const path = url.pathname;
    const select = url.searchParams.get("$select")?.split(",");
    if (method === "GET" && path === "/v1.0/users") return listUsers(url, headers, select);
    if (method === "GET" && path === "/v1.0/groups") {
      const filter = parseFilter(url.searchParams.get("$filter") ?? "");
      if (filter instanceof Error) return graphError(400, "Request_UnsupportedQuery", filter.message);
      const groups = directory.groups.filter((group) => filter({ mail: group.email, id: group.id }));
      return page(
        url,
        groups.map((group) =>
          project({ id: group.id, displayName: group.displayName, mail: group.email }, select),
        ),
      );
    }
    if (method === "POST" && path === "/v1.0/directoryObjects/getByIds") {
      const request = JSON.parse(body) as { ids?: string[]; types?: string[] };
      const ids = request.ids ?? [];
      if (ids.length === 0 || ids.length > 1000)
        return graphError(400, "Request_BadRequest", "1 to 1000 ids.");
      const types = request.types ?? ["user", "group"];
      const value = ids.flatMap((id) => {
        const user = types.includes("user")
          ? directory.users.find((candidate) => sameId(candidate.id, id))
          : undefined;
        if (user !== undefined)
          return [{ "@odata.type": "#microsoft.graph.user", ...project(graphUser(user), select) }];
        const group = types.includes("group")
          ? directory.groups.find((candidate) => sameId(candidate.id, id))
          : undefined;
        if (group !== undefined) {
          return [
            {
              "@odata.type": "#microsoft.graph.group",
              id: group.id,
              displayName: group.displayName,
              mail: group.email,
            },
          ];
        }
        return [];
      });
      return { status: 200, body: { value } };
    }
    // A group's direct members that are users (the cast segment), paged like every list.
    const groupMembers = /^\/v1\.0\/groups\/([^/]+)\/members\/microsoft\.graph\.user$/.exec(path);
    if (method === "GET" && groupMembers !== null) {
      const group = directory.groups.find((candidate) =>
        sameId(candidate.id, decodeURIComponent(groupMembers[1] ?? "")),
      );
      if (group === undefined) return graphError(404, "Request_ResourceNotFound", "No such group.");
      const members = directory.users.filter((user) =>
        (group.members ?? []).some((member) => sameId(member, user.id)),
      );
      return page(
        url,
        members.map((user) => project(graphUser(user), select)),
      );
    }
    const servicePrincipal = /^\/v1\.0\/servicePrincipals\/([^/]+)(\/appRoleAssignedTo)?$/.exec(path);
    if (method === "GET" && servicePrincipal !== null) {
      if (
        options.servicePrincipalId === undefined ||
        !sameId(decodeURIComponent(servicePrincipal[1] ?? ""), options.servicePrincipalId)
      ) {
        return graphError(404, "Request_ResourceNotFound", "No such service principal.");
      }
      if (servicePrincipal[2] === undefined) {
        const appRoles = [...roleIds].map(([value, id]) => ({
          id,
          value,
          allowedMemberTypes: ["User"],
          isEnabled: true,
        }));
        return { status: 200, body: { id: options.servicePrincipalId, appRoles } };
      }
      const assignments = [
        ...directory.users.map((user) => ({ ...user, principalType: "User" })),
        ...directory.groups.map((group) => ({
          ...group,
          appRoles: group.appRoles ?? [],
          principalType: "Group",
        })),
      ].flatMap((principal) =>
        principal.appRoles.map((value) => ({
          id: stableGuid(`assignment:${principal.id}:${value}`),
          principalId: principal.id,
          principalType: principal.principalType,
          principalDisplayName: principal.displayName,
          appRoleId: roleIds.get(value),
          resourceId: options.servicePrincipalId,
        })),
      );
      return page(
        url,
        assignments.map((assignment) => project(assignment, select)),
      );
    }
    return graphError(404, "Request_ResourceNotFound", `No stand-in for ${method} ${path}.`);
  }

  function listUsers(
    url: URL,
    headers: Readonly<Record<string, string | undefined>>,
    select: string[] | undefined,
  ): GraphAnswer {
    const search = url.searchParams.get("$search");
    if (search !== null && headers.consistencylevel !== "eventual") {
      return graphError(
        400,
        "Request_UnsupportedQuery",
        "$search needs the ConsistencyLevel: eventual header.",
      );
    }
    const matches = search === null ? () => true : parseSearch(search);
    if (matches instanceof Error) return graphError(400, "BadRequest", matches.message);
    const filter = parseFilter(url.searchParams.get("$filter") ?? "");
    if (filter instanceof Error) return graphError(400, "Request_UnsupportedQuery", filter.message);
    const users = directory.users.map(graphUser).filter((user) => matches(user) && filter(user));
    return page(
      url,
      users.map((user) => project(user, select)),
    );
  }

  function graphUser(user: DevUser): Record<string, unknown> {
    const guestUpn = `${user.email.replace("@", "_")}#EXT#@${tenantDomain}`;
    return {
      id: user.id,
      displayName: user.displayName,
      mail: user.email,
      userPrincipalName: user.userType === "Guest" ? guestUpn : user.email,
      userType: user.userType,
      accountEnabled: user.accountEnabled,
    };
  }

  /** A page of a list, `$top` and `$skiptoken` honoured, the stand-in's page size capping `$top`. */
  function page(url: URL, items: readonly Record<string, unknown>[]): GraphAnswer {
    const top = Number(url.searchParams.get("$top") ?? "100");
    const size = Math.min(Number.isFinite(top) && top > 0 ? top : 100, pageSize);
    const skip = Number(url.searchParams.get("$skiptoken") ?? "0");
    const value = items.slice(skip, skip + size);
    const body: Record<string, unknown> = { value };
    if (url.searchParams.get("$count") === "true") body["@odata.count"] = items.length;
    if (skip + size < items.length) {
      const next = new URL(url);
      next.searchParams.set("$skiptoken", String(skip + size));
      body["@odata.nextLink"] = next.toString();
    }
    return { status: 200, body };
  }

  function faultAnswer(fault: Fault): GraphAnswer {
    const headers: Record<string, string> = {};
    if (fault.retryAfterSeconds !== undefined) headers["retry-after"] = String(fault.retryAfterSeconds);
    const code =
      fault.status === 429
        ? "TooManyRequests"
        : fault.status === 403
          ? "Authorization_RequestDenied"
          : "ServiceUnavailable";
    return { ...graphError(fault.status, code, `Stand-in fault ${fault.status}.`), headers };
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", resolve);
  });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: baseUrl,
    requests,
    tokenRequests: () => requests.filter((request) => request.path.endsWith("/oauth2/v2.0/token")),
    graphRequests: (pathPrefix = "/v1.0/") =>
      requests.filter((request) => request.path.startsWith(pathPrefix)),
    fail: (fault) => faults.push({ fault, left: fault.times ?? 1 }),
    managedIdentity: { endpoint: `${baseUrl}/msi/token`, header: identityHeader },
    reset: () => {
      requests.length = 0;
      faults.length = 0;
    },
    close: async () => {
      for (const response of stalled) response.destroy();
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      });
    },
  };
}

function send(response: ServerResponse, answer: GraphAnswer): void {
  response.writeHead(answer.status, { "content-type": "application/json", ...answer.headers });
  response.end(answer.body === undefined ? "" : JSON.stringify(answer.body));
}

function graphError(status: number, code: string, message: string): GraphAnswer {
  return { status, body: { error: { code, message } } };
}

function project(
  item: Record<string, unknown>,
  select: readonly string[] | undefined,
): Record<string, unknown> {
  if (select === undefined) return item;
  return Object.fromEntries(Object.entries(item).filter(([name]) => name === "id" || select.includes(name)));
}

function sameId(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function stableGuid(seed: string): string {
  const hex = createHash("sha256").update(seed).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Graph's `$search` as the adapter uses it: `"field:text"` clauses joined by OR, `\` escaping
 * inside quotes, each word of the text a prefix of a word of the field.
 */
function parseSearch(search: string): ((user: Record<string, unknown>) => boolean) | Error {
  const clauses: { field: string; words: string[] }[] = [];
  const clause = /"((?:[^"\\]|\\.)*)"/gy;
  let rest = search.trim();
  while (rest !== "") {
    clause.lastIndex = 0;
    const match = clause.exec(rest);
    if (match === null) return new Error(`Syntax error in $search near '${rest.slice(0, 20)}'.`);
    const text = (match[1] ?? "").replace(/\\(.)/g, "$1");
    const colon = text.indexOf(":");
    if (colon < 1) return new Error('A $search clause is "property:text".');
    clauses.push({ field: text.slice(0, colon), words: searchTokens(text.slice(colon + 1)) });
    rest = rest.slice(match[0].length).trim();
    if (rest.startsWith("OR ")) rest = rest.slice(3).trim();
    else if (rest !== "")
      return new Error(`Only OR joins $search clauses here, near '${rest.slice(0, 20)}'.`);
  }
  return (user) =>
    clauses.some(({ field, words }) => {
      const value = user[field];
      if (typeof value !== "string" || words.length === 0) return false;
      const tokens = searchTokens(value);
      return words.every((word) => tokens.some((token) => token.startsWith(word)));
    });
}

/** The `$filter` forms the adapter sends: `name eq 'text'` or `name eq true`, joined by a single kind of `and`/`or`. */
function parseFilter(filter: string): ((item: Record<string, unknown>) => boolean) | Error {
  if (filter.trim() === "") return () => true;
  const comparison = /\s*(\w+) eq (?:'((?:[^']|'')*)'|(true|false))\s*/y;
  const tests: ((item: Record<string, unknown>) => boolean)[] = [];
  let joiner: "and" | "or" | undefined;
  let position = 0;
  while (position < filter.length) {
    comparison.lastIndex = position;
    const match = comparison.exec(filter);
    if (match === null)
      return new Error(`Unsupported $filter near '${filter.slice(position, position + 20)}'.`);
    const [, name = "", text, flag] = match;
    const expected: unknown = text !== undefined ? text.replace(/''/g, "'").toLowerCase() : flag === "true";
    tests.push((item) => {
      const actual = item[name];
      return typeof actual === "string" ? actual.toLowerCase() === expected : actual === expected;
    });
    position = comparison.lastIndex;
    const next = /(and|or)\s+/y;
    next.lastIndex = position;
    const word = next.exec(filter);
    if (word === null) break;
    if (joiner !== undefined && joiner !== word[1]) return new Error("Mixed and/or without parentheses.");
    joiner = word[1] as "and" | "or";
    position = next.lastIndex;
  }
  if (position < filter.length) return new Error(`Unsupported $filter near '${filter.slice(position)}'.`);
  return joiner === "or"
    ? (item) => tests.some((test) => test(item))
    : (item) => tests.every((test) => test(item));
}
