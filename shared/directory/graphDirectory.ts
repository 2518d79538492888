import type { DirectoryConfig } from "../config.js";
import { isGuid, normalizeId } from "../domain/ids.js";
import type { DirectoryUser } from "../domain/model.js";
import { BadGatewayError, ServiceUnavailableError } from "../errors.js";
import { type Clock, type Directory, type Recipient, type ResolvedRecipient, systemClock } from "../ports.js";
import { graphQueryString, odataString, searchClause } from "./graphQuery.js";
import { type FetchFunction, type GraphCredentialKind, GraphTokenProvider } from "./graphToken.js";
import { searchLimits } from "./searchLimits.js";

/** The user properties we read, and nothing more. */
const userFields = "id,displayName,mail,userPrincipalName,userType,accountEnabled";
/** Graph's limits: ids per getByIds call, sub-requests per `$batch`. */
const idsPerCall = 1000;
const requestsPerBatch = 20;
/** Pages followed for one list before we stop: a people picker never needs more. */
const maxPages = 10;

export interface GraphRetryOptions {
  /** Attempts per Graph request, the first included. */
  readonly maxAttempts: number;
  /** A longer `Retry-After` is not waited for: the request fails with 503 instead. */
  readonly maxRetryAfterSeconds: number;
  /** Back-off before retrying a 5xx or a dropped connection, doubled each time. */
  readonly baseDelayMs: number;
}

export interface GraphDirectoryOptions {
  readonly fetch?: FetchFunction;
  readonly clock?: Clock;
  /** Per Graph or token request; a slow Graph never hangs the function. */
  readonly timeoutMs?: number;
  readonly retry?: Partial<GraphRetryOptions>;
  /** How long names and emails (getUsers) and app role holders are kept. */
  readonly userCacheSeconds?: number;
  readonly appRoleCacheSeconds?: number;
  readonly userCacheSize?: number;
  /** Where operator-only details go (the client id a missing permission is for); the console by default. */
  readonly warn?: (message: string, details: Record<string, unknown>) => void;
}

/** The Microsoft Graph permission to grant, named in the 502 problem an operator sees. */
export const directoryPermission = "Directory.Read.All";

interface GraphUser {
  readonly id: string;
  readonly displayName?: string | null;
  readonly mail?: string | null;
  readonly userPrincipalName?: string | null;
  readonly userType?: string | null;
  readonly accountEnabled?: boolean | null;
}

interface GraphDirectoryObject extends GraphUser {
  readonly "@odata.type"?: string;
}

interface GraphPage<T> {
  readonly value: readonly T[];
  readonly "@odata.nextLink"?: string;
}

interface BatchRequest {
  readonly id: string;
  readonly method: "GET";
  readonly url: string;
  readonly headers?: Record<string, string>;
}

interface BatchResponse {
  readonly id: string;
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: unknown;
}

interface GraphRequest {
  readonly method: "GET" | "POST";
  /** Path and query under the Graph base URL (`/v1.0/...`), or a full `@odata.nextLink`. */
  readonly url: string;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /** Which permission a 401/403 on this request points at. */
  readonly permission?: string;
}

interface CachedUser {
  readonly user: DirectoryUser | undefined;
  readonly expiresAt: number;
}

/** The directory port over Microsoft Graph v1.0, with an app-only token from msal-node. */
export class GraphDirectory implements Directory {
  private readonly baseUrl: string;
  private readonly fetchFn: FetchFunction;
  private readonly clock: Clock;
  private readonly timeoutMs: number;
  private readonly retry: GraphRetryOptions;
  private readonly userCacheMs: number;
  private readonly appRoleCacheMs: number;
  private readonly userCacheSize: number;
  private readonly warn: (message: string, details: Record<string, unknown>) => void;
  private readonly userCache = new Map<string, CachedUser>();
  private appRoleHolders:
    { readonly byUser: Promise<ReadonlyMap<string, string[]>>; expiresAt: number } | undefined;

  constructor(
    private readonly config: DirectoryConfig,
    private readonly tokens: GraphTokenProvider,
    options: GraphDirectoryOptions = {},
  ) {
    this.baseUrl = config.graphBaseUrl;
    this.fetchFn = options.fetch ?? fetch;
    this.clock = options.clock ?? systemClock;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.retry = { maxAttempts: 3, maxRetryAfterSeconds: 10, baseDelayMs: 200, ...options.retry };
    this.userCacheMs = (options.userCacheSeconds ?? 60) * 1000;
    this.appRoleCacheMs = (options.appRoleCacheSeconds ?? 300) * 1000;
    this.userCacheSize = options.userCacheSize ?? 5000;
    this.warn =
      options.warn ??
      ((message, details) => {
        console.warn(message, details);
      });
  }

  get credentialKind(): GraphCredentialKind {
    return this.tokens.credentialKind;
  }

  async search(prefix: string, top: number): Promise<DirectoryUser[]> {
    const text = prefix.trim();
    if (text.length < searchLimits.minLength || text.length > searchLimits.maxLength) return [];
    const wanted = Math.min(Math.max(Math.trunc(top), 1), searchLimits.maxTop);
    const query = graphQueryString({
      $search: ["displayName", "mail", "userPrincipalName"]
        .map((field) => searchClause(field, text))
        .join(" OR "),
      $filter: "accountEnabled eq true",
      $select: userFields,
      $top: wanted,
      $count: "true",
    });
    const found = await this.list<GraphUser>(`/v1.0/users?${query}`, wanted, {
      ConsistencyLevel: "eventual",
    });
    return await this.withAppRoles(found.map(toDirectoryUser));
  }

  async resolve(recipients: readonly Recipient[]): Promise<ResolvedRecipient[]> {
    const ids = recipients.flatMap((recipient) =>
      "id" in recipient && isGuid(recipient.id) ? [normalizeId(recipient.id)] : [],
    );
    const emails = recipients.flatMap((recipient) =>
      "email" in recipient ? [normalizeEmail(recipient.email)] : [],
    );
    const [objectsById, byEmail] = await Promise.all([this.objectsByIds(ids), this.objectsByEmails(emails)]);
    const users = await this.withAppRoles(
      [...objectsById.values(), ...byEmail.values()].flatMap((found) =>
        found === "group" ? [] : [toDirectoryUser(found)],
      ),
    );
    const userById = new Map(users.map((user) => [normalizeId(user.id), user]));
    this.remember(userById);
    return recipients.map((recipient): ResolvedRecipient => {
      const found =
        "id" in recipient
          ? objectsById.get(normalizeId(recipient.id))
          : byEmail.get(normalizeEmail(recipient.email));
      if (found === undefined) return { outcome: "notFound" };
      if (found === "group") return { outcome: "group" };
      const user = userById.get(normalizeId(found.id));
      if (user === undefined) return { outcome: "notFound" };
      return user.accountEnabled ? { outcome: "user", user } : { outcome: "disabled", user };
    });
  }

  async getUsers(ids: readonly string[]): Promise<ReadonlyMap<string, DirectoryUser>> {
    const now = this.clock.now().getTime();
    const wanted = [...new Set(ids.filter(isGuid).map(normalizeId))];
    const missing = wanted.filter((id) => {
      const cached = this.userCache.get(id);
      return cached === undefined || cached.expiresAt <= now;
    });
    if (missing.length > 0) {
      const objects = await this.objectsByIds(missing);
      const users = await this.withAppRoles(
        [...objects.values()].flatMap((found) => (found === "group" ? [] : [toDirectoryUser(found)])),
      );
      const fetched = new Map<string, DirectoryUser | undefined>(missing.map((id) => [id, undefined]));
      for (const user of users) fetched.set(normalizeId(user.id), user);
      this.remember(fetched);
    }
    const found = new Map<string, DirectoryUser>();
    for (const id of wanted) {
      const user = this.userCache.get(id)?.user;
      if (user !== undefined) found.set(user.id, user);
    }
    return found;
  }

  /** Directory objects (users and groups) by id, in one getByIds call per 1000 ids. */
  private async objectsByIds(ids: readonly string[]): Promise<Map<string, GraphUser | "group">> {
    const found = new Map<string, GraphUser | "group">();
    const unique = [...new Set(ids)];
    for (let start = 0; start < unique.length; start += idsPerCall) {
      const page = await this.request<GraphPage<GraphDirectoryObject>>({
        method: "POST",
        url: `/v1.0/directoryObjects/getByIds?${graphQueryString({ $select: userFields })}`,
        body: { ids: unique.slice(start, start + idsPerCall), types: ["user", "group"] },
      });
      for (const object of page.value) {
        found.set(
          normalizeId(object.id),
          object["@odata.type"] === "#microsoft.graph.group" ? "group" : object,
        );
      }
    }
    return found;
  }

  /** Users by mail or user principal name in `$batch` calls of 20; addresses no user has are then tried as groups. */
  private async objectsByEmails(emails: readonly string[]): Promise<Map<string, GraphUser | "group">> {
    const unique = [...new Set(emails)];
    const found = new Map<string, GraphUser | "group">();
    const users = await this.batchGet(unique, (email) => {
      const address = odataString(email);
      return `/users?${graphQueryString({
        $filter: `mail eq ${address} or userPrincipalName eq ${address}`,
        $select: userFields,
        $top: 1,
      })}`;
    });
    for (const [email, page] of users) {
      const user = page.value[0];
      if (user !== undefined) found.set(email, user);
    }
    const unmatched = unique.filter((email) => !found.has(email));
    const groups = await this.batchGet(
      unmatched,
      (email) =>
        `/groups?${graphQueryString({ $filter: `mail eq ${odataString(email)}`, $select: "id", $top: 1 })}`,
    );
    for (const [email, page] of groups) if (page.value.length > 0) found.set(email, "group");
    return found;
  }

  /** One GET per key, sent as `$batch` requests of 20; failed sub-requests are retried like single requests. */
  private async batchGet(
    keys: readonly string[],
    urlFor: (key: string) => string,
  ): Promise<Map<string, GraphPage<GraphUser>>> {
    const results = new Map<string, GraphPage<GraphUser>>();
    for (let start = 0; start < keys.length; start += requestsPerBatch) {
      let pending: BatchRequest[] = keys
        .slice(start, start + requestsPerBatch)
        .map((key, index) => ({ id: String(start + index), method: "GET", url: urlFor(key) }));
      for (let attempt = 1; pending.length > 0; attempt++) {
        const answer = await this.request<{ responses: readonly BatchResponse[] }>({
          method: "POST",
          url: "/v1.0/$batch",
          body: { requests: pending },
        });
        const retry: BatchRequest[] = [];
        let waitSeconds = 0;
        for (const response of answer.responses) {
          const request = pending.find((candidate) => candidate.id === response.id);
          const key = keys[Number(response.id)];
          if (request === undefined || key === undefined) continue;
          if (response.status >= 200 && response.status < 300) {
            results.set(key, response.body as GraphPage<GraphUser>);
            continue;
          }
          const failure = this.failure(
            response.status,
            headerOf(response.headers, "retry-after"),
            attempt,
            request,
          );
          if (failure instanceof Error) throw failure;
          waitSeconds = Math.max(waitSeconds, failure);
          retry.push(request);
        }
        if (retry.length > 0) await sleep(waitSeconds * 1000);
        pending = retry;
      }
    }
    return results;
  }

  /** A list, following `@odata.nextLink` until `wanted` items (or `maxPages` pages) are in hand. */
  private async list<T>(url: string, wanted: number, headers?: Record<string, string>): Promise<T[]> {
    const items: T[] = [];
    let next: string | undefined = url;
    for (let page = 0; next !== undefined && page < maxPages && items.length < wanted; page++) {
      const answer: GraphPage<T> = await this.request<GraphPage<T>>({ method: "GET", url: next, headers });
      items.push(...answer.value);
      next = answer["@odata.nextLink"];
    }
    return items.slice(0, wanted);
  }

  /** Users get the API's app roles they hold (to hide administrators), from a cached `appRoleAssignedTo` list. */
  private async withAppRoles(users: readonly DirectoryUser[]): Promise<DirectoryUser[]> {
    if (users.length === 0 || this.config.apiServicePrincipalId === undefined) return [...users];
    const holders = await this.appRoleHoldersByUser(this.config.apiServicePrincipalId);
    return users.map((user) => ({ ...user, appRoles: holders.get(normalizeId(user.id)) ?? [] }));
  }

  private async appRoleHoldersByUser(servicePrincipalId: string): Promise<ReadonlyMap<string, string[]>> {
    const now = this.clock.now().getTime();
    if (this.appRoleHolders === undefined || this.appRoleHolders.expiresAt <= now) {
      const byUser = this.fetchAppRoleHolders(servicePrincipalId);
      this.appRoleHolders = { byUser, expiresAt: now + this.appRoleCacheMs };
      // A failed lookup is not kept: the next call asks Graph again.
      byUser.catch(() => {
        this.appRoleHolders = undefined;
      });
    }
    return await this.appRoleHolders.byUser;
  }

  private async fetchAppRoleHolders(servicePrincipalId: string): Promise<ReadonlyMap<string, string[]>> {
    const permission = `${directoryPermission} (or Application.Read.All)`;
    const principal = encodeURIComponent(servicePrincipalId);
    const api = await this.request<{ appRoles?: readonly { id: string; value?: string | null }[] }>({
      method: "GET",
      url: `/v1.0/servicePrincipals/${principal}?${graphQueryString({ $select: "appRoles" })}`,
      permission,
    });
    const roleValues = new Map((api.appRoles ?? []).map((role) => [role.id, role.value ?? ""]));
    const byUser = new Map<string, string[]>();
    const byGroup = new Map<string, string[]>();
    const hold = (holders: Map<string, string[]>, id: string, value: string) => {
      const values = holders.get(id) ?? [];
      if (!values.includes(value)) holders.set(id, [...values, value]);
    };
    let next: string | undefined = `/v1.0/servicePrincipals/${principal}/appRoleAssignedTo?${graphQueryString(
      {
        $select: "principalId,principalType,appRoleId",
        $top: 999,
      },
    )}`;
    while (next !== undefined) {
      const page: GraphPage<{ principalId: string; principalType: string; appRoleId: string }> =
        await this.request({
          method: "GET",
          url: next,
          permission,
        });
      for (const assignment of page.value) {
        const value = roleValues.get(assignment.appRoleId);
        if (value === undefined || value === "") continue;
        const id = normalizeId(assignment.principalId);
        if (assignment.principalType === "User") hold(byUser, id, value);
        if (assignment.principalType === "Group") hold(byGroup, id, value);
      }
      next = page["@odata.nextLink"];
    }
    // A role assigned to a group is held by the group's direct members: Entra puts it in their
    // tokens, and not in those of nested groups' members (group-based assignment is not nested).
    for (const [groupId, values] of byGroup) {
      for (const member of await this.groupMembers(groupId)) {
        for (const value of values) hold(byUser, member, value);
      }
    }
    return byUser;
  }

  /** The ids of a group's direct members that are users, every page. */
  private async groupMembers(groupId: string): Promise<string[]> {
    const permission = `${directoryPermission} (or GroupMember.Read.All)`;
    const members: string[] = [];
    let next: string | undefined =
      `/v1.0/groups/${encodeURIComponent(groupId)}/members/microsoft.graph.user?${graphQueryString({
        $select: "id",
        $top: 999,
      })}`;
    while (next !== undefined) {
      const page: GraphPage<{ id: string }> = await this.request({ method: "GET", url: next, permission });
      members.push(...page.value.map((member) => normalizeId(member.id)));
      next = page["@odata.nextLink"];
    }
    return members;
  }

  private remember(users: ReadonlyMap<string, DirectoryUser | undefined>): void {
    const expiresAt = this.clock.now().getTime() + this.userCacheMs;
    for (const [id, user] of users) {
      this.userCache.delete(id);
      this.userCache.set(id, { user, expiresAt });
    }
    // Oldest first in a Map: the cache stays bounded however many people the app sees.
    for (const id of this.userCache.keys()) {
      if (this.userCache.size <= this.userCacheSize) break;
      this.userCache.delete(id);
    }
  }

  /** One Graph call with the app's token: 429 and 5xx retried (bounded), 401/403 told as a missing permission. */
  private async request<T>(request: GraphRequest): Promise<T> {
    const url = this.onGraph(request.url);
    for (let attempt = 1; ; attempt++) {
      const token = await this.tokens.accessToken();
      let response: Response;
      try {
        response = await this.fetchFn(url, {
          method: request.method,
          headers: {
            authorization: `Bearer ${token}`,
            accept: "application/json",
            ...(request.body === undefined ? {} : { "content-type": "application/json" }),
            ...request.headers,
          },
          body: request.body === undefined ? undefined : JSON.stringify(request.body),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
      } catch (error) {
        if (error instanceof DOMException && (error.name === "TimeoutError" || error.name === "AbortError")) {
          throw new ServiceUnavailableError(
            "directory_timeout",
            `Microsoft Graph did not answer within ${this.timeoutMs} ms.`,
            { cause: error },
          );
        }
        if (attempt >= this.retry.maxAttempts) {
          throw new ServiceUnavailableError(
            "directory_unavailable",
            "Microsoft Graph could not be reached.",
            {
              cause: error,
            },
          );
        }
        await sleep(this.backoffMs(attempt));
        continue;
      }
      if (response.ok) return (await response.json()) as T;
      const body = await response.text();
      const failure = this.failure(
        response.status,
        response.headers.get("retry-after"),
        attempt,
        request,
        body,
      );
      if (failure instanceof Error) throw failure;
      await sleep(failure * 1000);
    }
  }

  /**
   * The absolute URL of a Graph path, or of a next link only when it is on the Graph host: the
   * app's token goes nowhere else, whatever a next link (from Graph or anything between) names.
   */
  private onGraph(pathOrLink: string): string {
    if (!/^[a-z][a-z0-9+.-]*:/i.test(pathOrLink)) return `${this.baseUrl}${pathOrLink}`;
    const base = new URL(this.baseUrl);
    const link = URL.canParse(pathOrLink) ? new URL(pathOrLink) : undefined;
    if (link?.origin === base.origin && link.username === "" && link.password === "") return link.href;
    this.warn("Microsoft Graph answered a next link off its own host; not followed.", {
      host: link?.host ?? "(not a URL)",
    });
    throw new BadGatewayError(
      "directory_request_failed",
      "Microsoft Graph answered a next page link that is not on its own host.",
    );
  }

  /** Seconds to wait before trying again, or the error to throw. */
  private failure(
    status: number,
    retryAfter: string | null | undefined,
    attempt: number,
    request: GraphRequest | BatchRequest,
    body = "",
  ): number | Error {
    if (status === 401 || status === 403) {
      const permission = ("permission" in request ? request.permission : undefined) ?? directoryPermission;
      // Which app registration is the operator's business, not the caller's: it goes to the log only.
      this.warn(
        `Microsoft Graph refused the app (HTTP ${status}): grant the application permission ${permission} ` +
          `to client ${this.config.clientId ?? "(GRAPH_CLIENT_ID)"} and give admin consent (see docs/graph-permissions.md).`,
        { status, permission, clientId: this.config.clientId },
      );
      return new BadGatewayError(
        "directory_permission_missing",
        `Microsoft Graph refused the app (HTTP ${status}): an administrator must grant it the application ` +
          `permission ${permission} and give admin consent.`,
      );
    }
    const retryable = status === 429 || status >= 500;
    if (!retryable) {
      const code = /"code"\s*:\s*"([^"]+)"/.exec(body)?.[1];
      return new BadGatewayError(
        "directory_request_failed",
        `Microsoft Graph answered HTTP ${status}${code === undefined ? "" : ` (${code})`}.`,
      );
    }
    const seconds = retryAfterSeconds(retryAfter, this.clock) ?? this.backoffMs(attempt) / 1000;
    if (attempt >= this.retry.maxAttempts || seconds > this.retry.maxRetryAfterSeconds) {
      return new ServiceUnavailableError(
        status === 429 ? "directory_throttled" : "directory_unavailable",
        status === 429
          ? "Microsoft Graph is throttling the app; try again shortly."
          : `Microsoft Graph failed (HTTP ${status}) ${attempt} times; try again shortly.`,
      );
    }
    return seconds;
  }

  private backoffMs(attempt: number): number {
    return this.retry.baseDelayMs * 2 ** (attempt - 1);
  }
}

/** The Graph directory for these settings, signing in with a secret, a certificate or the managed identity. */
export function createGraphDirectory(
  config: DirectoryConfig,
  options: GraphDirectoryOptions = {},
): GraphDirectory {
  const tokens = new GraphTokenProvider(config, { fetch: options.fetch, timeoutMs: options.timeoutMs });
  return new GraphDirectory(config, tokens, options);
}

function toDirectoryUser(user: GraphUser): DirectoryUser {
  const email = user.mail ?? user.userPrincipalName ?? "";
  return {
    id: normalizeId(user.id),
    displayName: user.displayName ?? email,
    email,
    userType: user.userType === "Guest" ? "Guest" : "Member",
    accountEnabled: user.accountEnabled !== false,
    appRoles: [],
  };
}

function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

function headerOf(headers: Record<string, string> | undefined, name: string): string | undefined {
  if (headers === undefined) return undefined;
  return Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
}

/** `Retry-After` as seconds: a number, or an HTTP date. */
export function retryAfterSeconds(
  value: string | null | undefined,
  clock: Clock = systemClock,
): number | undefined {
  if (value === null || value === undefined || value.trim() === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Number(value);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, (at - clock.now().getTime()) / 1000);
}

async function sleep(ms: number): Promise<void> {
  if (ms <= 0) return;
  await new Promise((resolve) => setTimeout(resolve, ms));
}
