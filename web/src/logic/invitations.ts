/** An invitation's state in the access list, and the re-send cooldown, in words. */

export type InvitationStatus = "pending" | "sent" | "failed" | "notRequested";

export interface Invitation {
  readonly status: InvitationStatus;
  readonly sentAt?: string;
  readonly failureReason?: string;
}

export function invitationLabel(invitation: Invitation | undefined | null): string {
  switch (invitation?.status) {
    case "pending":
      return "Invitation pending";
    case "sent":
      return "Invitation sent";
    case "failed":
      return "Invitation failed";
    case "notRequested":
      return "No invitation sent";
    default:
      return "";
  }
}

/** Seconds from a `Retry-After` header (seconds or an HTTP date), at least one. */
export function retryAfterSeconds(header: string | null, now: Date): number | undefined {
  if (header === null || header.trim() === "") return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Math.max(1, Number(text));
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(1, Math.ceil((at - now.getTime()) / 1000));
}

/** "Re-send in 4 min" / "Re-send in 30 s". */
export function cooldownText(seconds: number): string {
  if (seconds >= 90) return `You can re-send in ${Math.ceil(seconds / 60)} minutes.`;
  return `You can re-send in ${seconds} seconds.`;
}
