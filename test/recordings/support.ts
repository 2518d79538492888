import { expect } from "vitest";

import { revokeAccess, shareProcess } from "../../functions/access.js";
import { deleteProcess } from "../../functions/processes.js";
import {
  addRecording,
  deleteRecording,
  getRecording,
  listRecordings,
  updateRecording,
} from "../../functions/recordings.js";
import { createProcessAs, processPath, type TestApp } from "../support/app.js";

/** A dev user alias, or a raw token (a user signed in with other app roles than their own). */
export type Who = string | { readonly token: string };

function caller(who: Who): { as: string | null; token?: string } {
  return typeof who === "string" ? { as: who } : { as: null, token: who.token };
}

function recordingPath(processId: string, recordingId: string) {
  return {
    path: `/api/processes/${processId}/recordings/${recordingId}`,
    params: { id: processId, recordingId },
  };
}

/** The recordings routes (and the process routes they need), called as the host would call them. */
export function recordingsApi(app: TestApp) {
  return {
    createProcess(as: string, kind: "taskMining" | "processMining", name = "Expense claims") {
      return createProcessAs(app, as, kind, name);
    },

    async share(as: string, processId: string, role: string, principalId: string) {
      const response = await app.call(shareProcess, {
        method: "POST",
        as,
        ...processPath(processId, "/access"),
        body: { role, recipients: [{ id: principalId }], sendInvitation: false },
      });
      expect(response.status).toBe(200);
    },

    revoke(as: string, processId: string, principalId: string) {
      return app.call(revokeAccess, {
        method: "DELETE",
        as,
        path: `/api/processes/${processId}/access/${principalId}`,
        params: { id: processId, principalId },
      });
    },

    deleteProcess(as: string, processId: string) {
      return app.call(deleteProcess, { method: "DELETE", as, ...processPath(processId) });
    },

    list(who: Who, processId: string, query = "") {
      return app.call(listRecordings, {
        ...caller(who),
        path: `/api/processes/${processId}/recordings${query}`,
        params: { id: processId },
      });
    },

    add(who: Who, processId: string, body: unknown = { name: "Month-end close" }) {
      return app.call(addRecording, {
        method: "POST",
        ...caller(who),
        ...processPath(processId, "/recordings"),
        body,
      });
    },

    /** Adds a recording and returns its id, failing the test when it is refused. */
    async added(who: Who, processId: string, body: unknown = { name: "Month-end close" }): Promise<string> {
      const response = await this.add(who, processId, body);
      expect(response.status).toBe(201);
      return response.body.id as string;
    },

    get(who: Who, processId: string, recordingId: string) {
      return app.call(getRecording, { ...caller(who), ...recordingPath(processId, recordingId) });
    },

    update(who: Who, processId: string, recordingId: string, body: unknown, ifMatch?: string) {
      return app.call(updateRecording, {
        method: "PATCH",
        ...caller(who),
        ...recordingPath(processId, recordingId),
        body,
        ...(ifMatch !== undefined && { headers: { "if-match": ifMatch } }),
      });
    },

    remove(who: Who, processId: string, recordingId: string, ifMatch?: string) {
      return app.call(deleteRecording, {
        method: "DELETE",
        ...caller(who),
        ...recordingPath(processId, recordingId),
        ...(ifMatch !== undefined && { headers: { "if-match": ifMatch } }),
      });
    },
  };
}
