import {
  Badge,
  Button,
  DrawerBody,
  DrawerHeader,
  DrawerHeaderTitle,
  Dropdown,
  makeStyles,
  Option,
  OverlayDrawer,
  Persona,
  Spinner,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Text,
  tokens,
} from "@fluentui/react-components";
import { DismissRegular } from "@fluentui/react-icons";
import { useCallback, useEffect, useState } from "react";

import { type AccessEntry, type ApiClient, ApiError, type ProcessDetails } from "../api.js";
import { expiryLabel } from "../logic/expiry.js";
import { cooldownText, invitationLabel, retryAfterSeconds } from "../logic/invitations.js";
import { type GrantableRole, grantableRoles, roleLabel } from "../logic/roles.js";
import { personName } from "../logic/text.js";
import { ErrorBar, errorText } from "./ErrorBar.js";
import { ExplainAccessButton } from "./ExplainAccess.js";
import { OwnershipOfferBadge, OwnershipOfferButton } from "./OwnershipOffer.js";

const useStyles = makeStyles({
  body: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalM },
  cellStack: {
    display: "flex",
    flexDirection: "column",
    alignItems: "flex-start",
    gap: tokens.spacingVerticalXXS,
  },
  nameRow: { display: "flex", alignItems: "center", gap: tokens.spacingHorizontalXS },
  muted: { color: tokens.colorNeutralForeground3 },
  role: { minWidth: "unset", width: "150px" },
});

/** While an invitation is pending the list is read again, so that "sent" shows up by itself. */
const pendingPollMs = 1500;

export function ManageAccessPanel(props: {
  readonly open: boolean;
  readonly api: ApiClient;
  readonly process: ProcessDetails;
  readonly meId: string | undefined;
  readonly onChanged: (access: AccessEntry[]) => void;
  readonly onClose: () => void;
}): React.JSX.Element {
  const styles = useStyles();
  const { api, process, onChanged } = props;
  const [access, setAccess] = useState<AccessEntry[]>();
  const [error, setError] = useState<string>();
  const [notice, setNotice] = useState<string>();
  const [cooldowns, setCooldowns] = useState<Readonly<Record<string, number>>>({});
  const canShare = process.actions.includes("share");
  // The API explains anyone to a caller with viewAccess, and anyone to themselves.
  const canExplain = process.actions.includes("viewAccess");
  const roles = grantableRoles(process.kind);

  const reload = useCallback(async (): Promise<void> => {
    await api.listAccess(process.id).then(
      (list) => {
        setAccess(list);
        onChanged(list);
      },
      (caught: unknown) => {
        setError(errorText(caught));
      },
    );
  }, [api, process.id, onChanged]);

  useEffect(() => {
    void reload();
  }, [reload]);

  const pending = access?.some((entry) => entry.invitation?.status === "pending") === true;
  useEffect(() => {
    if (!pending) return;
    const timer = setTimeout(() => void reload(), pendingPollMs);
    return () => {
      clearTimeout(timer);
    };
  }, [pending, access, reload]);

  // Cooldowns count down once a second while any is running.
  const cooling = Object.values(cooldowns).some((seconds) => seconds > 0);
  useEffect(() => {
    if (!cooling) return;
    const timer = setTimeout(() => {
      setCooldowns((current) =>
        Object.fromEntries(Object.entries(current).map(([id, seconds]) => [id, Math.max(0, seconds - 1)])),
      );
    }, 1000);
    return () => {
      clearTimeout(timer);
    };
  }, [cooling, cooldowns]);

  const act = (work: Promise<unknown>, done: string): void => {
    setError(undefined);
    setNotice(undefined);
    // The notice shows with the list that reflects it.
    work
      .then(async () => {
        await reload();
        setNotice(done);
      })
      .catch(async (caught: unknown) => {
        setError(errorText(caught));
        await reload();
      });
  };

  const resend = (entry: AccessEntry): void => {
    setError(undefined);
    setNotice(undefined);
    api
      .resendInvitation(process.id, entry.principalId)
      .then(async () => {
        await reload();
        setNotice(`The invitation to ${personName(entry)} is on its way again.`);
      })
      .catch((caught: unknown) => {
        if (caught instanceof ApiError && caught.status === 429) {
          const seconds = retryAfterSeconds(caught.headers?.get("retry-after") ?? null, new Date()) ?? 60;
          setCooldowns((current) => ({ ...current, [entry.principalId]: seconds }));
          setError(`${personName(entry)} was invited a moment ago. ${cooldownText(seconds)}`);
        } else {
          setError(errorText(caught));
        }
      });
  };

  return (
    <OverlayDrawer
      open={props.open}
      position="end"
      size="large"
      aria-label={`Manage access to ${process.name}`}
      onOpenChange={(_, data) => {
        if (!data.open) props.onClose();
      }}
    >
      <DrawerHeader>
        <DrawerHeaderTitle
          action={
            <Button
              appearance="subtle"
              aria-label="Close"
              icon={<DismissRegular />}
              onClick={props.onClose}
            />
          }
        >
          Manage access
        </DrawerHeaderTitle>
        <Text>{process.name}</Text>
      </DrawerHeader>
      <DrawerBody className={styles.body}>
        <ErrorBar error={error} />
        {notice !== undefined && (
          <Text role="status" className={styles.muted}>
            {notice}
          </Text>
        )}
        {access === undefined ? (
          <Spinner label="Loading who has access" />
        ) : (
          <Table aria-label="People with access">
            <TableHeader>
              <TableRow>
                <TableHeaderCell>Person</TableHeaderCell>
                <TableHeaderCell>Role</TableHeaderCell>
                <TableHeaderCell>Invitation</TableHeaderCell>
                <TableHeaderCell>
                  <span className={styles.muted}>Actions</span>
                </TableHeaderCell>
              </TableRow>
            </TableHeader>
            <TableBody>
              {access.map((entry) => {
                const name = personName(entry);
                const isOwner = entry.role === "owner";
                const cooldown = cooldowns[entry.principalId] ?? 0;
                const isMe = entry.principalId === props.meId;
                return (
                  <TableRow key={entry.principalId} data-principal-id={entry.principalId} aria-label={name}>
                    <TableCell>
                      <div className={styles.nameRow}>
                        <Persona
                          name={name}
                          secondaryText={entry.email ?? ""}
                          avatar={{ color: "colorful" }}
                        />
                        {entry.userType === "Guest" && (
                          <Badge appearance="tint" color="warning">
                            Guest
                          </Badge>
                        )}
                        <OwnershipOfferBadge entry={entry} />
                      </div>
                    </TableCell>
                    <TableCell>
                      {isOwner ? (
                        <Badge appearance="filled" color="brand">
                          Owner
                        </Badge>
                      ) : canShare && !isMe ? (
                        <Dropdown
                          aria-label={`Role of ${name}`}
                          className={styles.role}
                          value={roleLabel(entry.role)}
                          selectedOptions={[entry.role]}
                          onOptionSelect={(_, data) => {
                            const next = data.optionValue as GrantableRole | undefined;
                            if (next === undefined || next === entry.role) return;
                            act(
                              api.changeRole(process.id, entry.principalId, next),
                              `${name} is now ${roleLabel(next)}.`,
                            );
                          }}
                        >
                          {roles.map((role) => (
                            <Option key={role} value={role}>
                              {roleLabel(role)}
                            </Option>
                          ))}
                        </Dropdown>
                      ) : (
                        <Text>{roleLabel(entry.role)}</Text>
                      )}
                      {expiryLabel(entry) !== undefined && (
                        <Text size={200} className={styles.muted}>
                          {expiryLabel(entry)}
                        </Text>
                      )}
                    </TableCell>
                    <TableCell>
                      <div className={styles.cellStack}>
                        <Text>{isOwner ? "" : invitationLabel(entry.invitation)}</Text>
                        {entry.invitation?.status === "failed" &&
                          entry.invitation.failureReason !== undefined && (
                            <Text size={200} className={styles.muted}>
                              {entry.invitation.failureReason}
                            </Text>
                          )}
                        {!isOwner && canShare && entry.invitation !== null && (
                          <Button
                            size="small"
                            disabled={cooldown > 0}
                            aria-label={`Re-send the invitation to ${name}`}
                            onClick={() => {
                              resend(entry);
                            }}
                          >
                            {cooldown > 0 ? cooldownText(cooldown) : "Re-send"}
                          </Button>
                        )}
                      </div>
                    </TableCell>
                    <TableCell>
                      <div className={styles.cellStack}>
                        {(canExplain || isMe) && (
                          <ExplainAccessButton
                            api={api}
                            processId={process.id}
                            principalId={entry.principalId}
                            name={name}
                          />
                        )}
                        {isOwner ? (
                          <Text size={200} className={styles.muted}>
                            The owner's access can't be changed
                          </Text>
                        ) : canShare || isMe ? (
                          <div className={styles.nameRow}>
                            <Button
                              size="small"
                              aria-label={isMe ? "Leave this process" : `Remove ${name}`}
                              onClick={() => {
                                act(
                                  api.removeAccess(process.id, entry.principalId),
                                  isMe ? "You left this process." : `${name} no longer has access.`,
                                );
                              }}
                            >
                              {isMe ? "Leave" : "Remove"}
                            </Button>
                            <OwnershipOfferButton
                              api={api}
                              process={process}
                              entry={entry}
                              name={name}
                              act={act}
                            />
                          </div>
                        ) : null}
                      </div>
                    </TableCell>
                  </TableRow>
                );
              })}
            </TableBody>
          </Table>
        )}
      </DrawerBody>
    </OverlayDrawer>
  );
}
