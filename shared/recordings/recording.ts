/** A task-mining recording's metadata (the recorded files themselves live elsewhere). */
export interface Recording {
  readonly id: string;
  readonly processId: string;
  readonly name: string;
  readonly labels: readonly string[];
  readonly applications: readonly string[];
  readonly durationSeconds?: number;
  readonly addedBy: string;
  readonly addedAt: string;
  readonly updatedAt: string;
  /** Opaque version for `ETag`/`If-Match`. */
  readonly etag: string;
}
