import type { Explanation } from "./logic/explain.js";
import type { Invitation } from "./logic/invitations.js";
import { nextPageUrl, type Page } from "./logic/paging.js";
import { describeProblem, type Problem, toProblem, unreachableSentence } from "./logic/problems.js";
import type { GrantableRole, Kind, Role } from "./logic/roles.js";
import type { ShareResult } from "./logic/shareResults.js";

/** The public API, from the browser: bearer token, JSON in and out, problem details as errors. */

export type Action =
  | "read"
  | "viewAnalytics"
  | "update"
  | "viewAccess"
  | "share"
  | "addRecording"
  | "manageAllRecordings"
  | "delete"
  | "analyze"
  | "editDataflow"
  | "transferOwnership"
  | "acceptOwnership"
  | "reassignOwnership";

export interface ProcessSummary {
  readonly id: string;
  readonly kind: Kind;
  readonly name: string;
  readonly myRole: Role | null;
  readonly accessRevoked: boolean;
  readonly actions: readonly Action[];
}

export interface ProcessDetails {
  readonly id: string;
  readonly kind: Kind;
  readonly name: string;
  readonly description: string;
  readonly ownerId: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly myRole: Role | null;
  readonly actions: readonly Action[];
  /** An ownership offer waiting for its answer. */
  readonly pendingOwner?: {
    readonly principalId: string;
    readonly offeredAt: string;
    readonly offeredBy: string;
  };
}

export interface AccessEntry {
  readonly principalId: string;
  readonly displayName: string | null;
  readonly email: string | null;
  readonly userType: "Member" | "Guest" | null;
  readonly role: Role;
  readonly grantedBy: string;
  readonly grantedAt: string;
  readonly invitation: Invitation | null;
  /** When the role ends (issue 14); `expired` once it has. */
  readonly expiresAt?: string;
  readonly expired?: boolean;
  /** On the holder the owner offered the process to, while the offer waits. */
  readonly ownershipOffer?: { readonly offeredAt: string; readonly offeredBy: string };
}

export interface User {
  readonly id: string;
  readonly displayName: string;
  readonly email: string;
  readonly userType: "Member" | "Guest";
}

export interface Me {
  readonly id: string;
  readonly name: string;
  readonly username: string;
  readonly isAdministrator: boolean;
  readonly hasSharePrivilege: boolean;
}

export interface Recording {
  readonly id: string;
  readonly name: string;
  readonly labels: readonly string[];
  readonly applications: readonly string[];
  readonly durationSeconds?: number;
  readonly addedBy: string;
  readonly addedAt: string;
  readonly etag?: string;
}

/** An answer other than 2xx, carrying the sentence to show. */
export class ApiError extends Error {
  constructor(
    readonly problem: Problem,
    readonly headers?: Headers,
  ) {
    super(describeProblem(problem));
    this.name = "ApiError";
  }
  get status(): number {
    return this.problem.status;
  }
}

export interface Answer<T> {
  readonly status: number;
  readonly body: T;
  readonly headers: Headers;
}

export interface ApiClientOptions {
  readonly baseUrl: string;
  readonly getToken: () => Promise<string>;
  /** Called on any 401: the app sends the user back to sign-in. */
  readonly onUnauthorized: () => void;
}

export class ApiClient {
  constructor(private readonly options: ApiClientOptions) {}

  async call<T>(
    method: string,
    pathOrUrl: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer<T>> {
    const url = pathOrUrl.startsWith("http") ? pathOrUrl : `${this.options.baseUrl}${pathOrUrl}`;
    const token = await this.options.getToken();
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          accept: "application/json",
          ...(body === undefined ? {} : { "content-type": "application/json" }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch {
      throw new ApiError({ status: 0, detail: unreachableSentence });
    }
    const text = await response.text();
    let parsed: unknown = undefined;
    if (text !== "") {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
    }
    if (response.status === 401) this.options.onUnauthorized();
    if (!response.ok && response.status !== 207) {
      throw new ApiError(toProblem(response.status, parsed), response.headers);
    }
    return { status: response.status, body: parsed as T, headers: response.headers };
  }

  /** One page of the caller's processes; `next` is the previous page's nextLink. */
  async listProcesses(previous?: Page<ProcessSummary>): Promise<Page<ProcessSummary>> {
    const url =
      previous === undefined
        ? `${this.options.baseUrl}/api/processes?top=20`
        : nextPageUrl(this.options.baseUrl, previous);
    if (url === undefined) return { value: [] };
    return (await this.call<Page<ProcessSummary>>("GET", url)).body;
  }

  async createProcess(kind: Kind, name: string, description: string): Promise<ProcessDetails> {
    const body = { kind, name, ...(description === "" ? {} : { description }) };
    return (await this.call<ProcessDetails>("POST", "/api/processes", body)).body;
  }

  async getProcess(id: string): Promise<{ process: ProcessDetails; etag: string | null }> {
    const answer = await this.call<ProcessDetails>("GET", `/api/processes/${encodeURIComponent(id)}`);
    return { process: answer.body, etag: answer.headers.get("etag") };
  }

  async updateProcess(
    id: string,
    changes: { name?: string; description?: string },
    etag: string | null,
  ): Promise<{ process: ProcessDetails; etag: string | null }> {
    const answer = await this.call<ProcessDetails>(
      "PATCH",
      `/api/processes/${encodeURIComponent(id)}`,
      changes,
      etag === null ? {} : { "if-match": etag },
    );
    return { process: answer.body, etag: answer.headers.get("etag") };
  }

  async deleteProcess(id: string): Promise<void> {
    await this.call("DELETE", `/api/processes/${encodeURIComponent(id)}`);
  }

  async listAccess(id: string): Promise<AccessEntry[]> {
    const answer = await this.call<{ value: AccessEntry[] }>(
      "GET",
      `/api/processes/${encodeURIComponent(id)}/access`,
    );
    return answer.body.value;
  }

  /** Why a person has, or lacks, each action (viewAccess, or about oneself). */
  async explainAccess(id: string, principalId: string): Promise<Explanation> {
    const path = `/api/processes/${encodeURIComponent(id)}/access/${encodeURIComponent(principalId)}/explain`;
    return (await this.call<Explanation>("GET", path)).body;
  }

  async share(
    id: string,
    request: {
      role: GrantableRole;
      recipients: ({ id: string } | { email: string })[];
      sendInvitation: boolean;
      message?: string;
      expiresAt?: string;
    },
  ): Promise<{ status: number; results: ShareResult[] }> {
    const answer = await this.call<{ value: ShareResult[] }>(
      "POST",
      `/api/processes/${encodeURIComponent(id)}/access`,
      request,
    );
    return { status: answer.status, results: answer.body.value };
  }

  async changeRole(id: string, principalId: string, role: GrantableRole): Promise<void> {
    await this.call(
      "PUT",
      `/api/processes/${encodeURIComponent(id)}/access/${encodeURIComponent(principalId)}`,
      {
        role,
      },
    );
  }

  async removeAccess(id: string, principalId: string): Promise<void> {
    await this.call(
      "DELETE",
      `/api/processes/${encodeURIComponent(id)}/access/${encodeURIComponent(principalId)}`,
    );
  }

  async resendInvitation(id: string, principalId: string): Promise<void> {
    await this.call(
      "POST",
      `/api/processes/${encodeURIComponent(id)}/access/${encodeURIComponent(principalId)}/invitation`,
    );
  }

  async offerOwnership(id: string, principalId: string): Promise<void> {
    await this.call("POST", `/api/processes/${encodeURIComponent(id)}/transfer`, { principalId });
  }

  async withdrawOwnershipOffer(id: string): Promise<void> {
    await this.call("DELETE", `/api/processes/${encodeURIComponent(id)}/transfer`);
  }

  async answerOwnershipOffer(id: string, answer: "accept" | "decline"): Promise<void> {
    await this.call("POST", `/api/processes/${encodeURIComponent(id)}/transfer/${answer}`);
  }

  async searchUsers(search: string): Promise<User[]> {
    const answer = await this.call<{ value: User[] }>(
      "GET",
      `/api/users?${new URLSearchParams({ search, top: "10" }).toString()}`,
    );
    return answer.body.value;
  }

  async me(): Promise<Me> {
    return (await this.call<Me>("GET", "/api/me")).body;
  }

  async listRecordings(id: string, previous?: Page<Recording>): Promise<Page<Recording>> {
    const url =
      previous === undefined
        ? `${this.options.baseUrl}/api/processes/${encodeURIComponent(id)}/recordings?top=50`
        : nextPageUrl(this.options.baseUrl, previous);
    if (url === undefined) return { value: [] };
    return (await this.call<Page<Recording>>("GET", url)).body;
  }

  async addRecording(id: string, name: string, labels: string[]): Promise<Recording> {
    return (
      await this.call<Recording>("POST", `/api/processes/${encodeURIComponent(id)}/recordings`, {
        name,
        labels,
      })
    ).body;
  }

  async relabelRecording(id: string, recording: Recording, labels: string[]): Promise<Recording> {
    return (
      await this.call<Recording>(
        "PATCH",
        `/api/processes/${encodeURIComponent(id)}/recordings/${encodeURIComponent(recording.id)}`,
        { labels },
      )
    ).body;
  }

  async deleteRecording(id: string, recordingId: string): Promise<void> {
    await this.call(
      "DELETE",
      `/api/processes/${encodeURIComponent(id)}/recordings/${encodeURIComponent(recordingId)}`,
    );
  }
}
