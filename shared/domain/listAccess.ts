import type { ProcessAccess } from "./authorization.js";
import { isExpired } from "./expiry.js";
import type { Caller, InvitationStatus, Role } from "./model.js";
import { isHiddenFromAccessList } from "./permissions.js";
import type { SharingPorts } from "./sharingCore.js";

export interface AccessEntry {
  readonly principalId: string;
  readonly displayName: string | null;
  readonly email: string | null;
  readonly userType: "Member" | "Guest" | null;
  readonly role: Role;
  readonly grantedBy: string;
  readonly grantedAt: string;
  readonly invitation: {
    readonly status: InvitationStatus;
    readonly sentAt?: string;
    readonly failureReason?: string;
  };
  /** When the role ends; with `expired: true` once it has (until the expiry sweep revokes it). */
  readonly expiresAt?: string;
  readonly expired?: boolean;
  /** On the holder the owner offered the process to, while the offer waits (issue 14). */
  readonly ownershipOffer?: { readonly offeredAt: string; readonly offeredBy: string };
}

/** The owner and every holder, with who they are; administrators hidden on process mining. */
export class ListAccess {
  constructor(
    private readonly ports: SharingPorts,
    private readonly access: ProcessAccess,
  ) {}

  async list(caller: Caller, processId: string): Promise<AccessEntry[]> {
    const { process } = await this.access.loadAuthorized(caller, processId, "viewAccess");
    const rows = await this.ports.roles.list(processId);
    const offer = process.pendingOwner;
    const users = await this.ports.directory.getUsers(rows.map((row) => row.principalId));
    const now = this.ports.clock.now();
    return rows
      .filter((row) => {
        const isAdmin = users.get(row.principalId)?.appRoles.includes(this.ports.appRoles.adminRole) ?? false;
        return row.role === "owner" || !isHiddenFromAccessList(process.kind, isAdmin);
      })
      .sort(
        (a, b) =>
          Number(b.role === "owner") - Number(a.role === "owner") || a.grantedAt.localeCompare(b.grantedAt),
      )
      .map((row) => {
        const user = users.get(row.principalId);
        return {
          principalId: row.principalId,
          displayName: user?.displayName ?? null,
          email: user?.email ?? null,
          userType: user?.userType ?? null,
          role: row.role,
          grantedBy: row.grantedBy,
          grantedAt: row.grantedAt,
          invitation: {
            status: row.invitation.status,
            ...(row.invitation.sentAt !== undefined && { sentAt: row.invitation.sentAt }),
            ...(row.invitation.failureReason !== undefined && {
              failureReason: row.invitation.failureReason,
            }),
          },
          ...(row.expiresAt !== undefined && { expiresAt: row.expiresAt }),
          ...(isExpired(row.expiresAt, now) && { expired: true }),
          ...(offer?.principalId === row.principalId && {
            ownershipOffer: { offeredAt: offer.offeredAt, offeredBy: offer.offeredBy },
          }),
        };
      });
  }
}
