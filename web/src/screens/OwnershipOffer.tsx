import {
  Badge,
  Button,
  MessageBar,
  MessageBarActions,
  MessageBarBody,
  MessageBarTitle,
} from "@fluentui/react-components";
import { useState } from "react";

import type { AccessEntry, ApiClient, ProcessDetails } from "../api.js";
import { ErrorBar, errorText } from "./ErrorBar.js";

/**
 * Ownership transfer (issue 14) in the web app: the owner's "Make owner" offer and its pending
 * badge in Manage access, and the banner the person offered answers. What shows follows the
 * `actions` the API returned (`transferOwnership`, `acceptOwnership`), never a rule of its own.
 */

/** The pending badge beside a holder's name. */
export function OwnershipOfferBadge(props: { readonly entry: AccessEntry }): React.JSX.Element | null {
  if (props.entry.ownershipOffer === undefined) return null;
  return (
    <Badge appearance="tint" color="informative">
      Ownership offered
    </Badge>
  );
}

/** "Make owner" for a holder, or "Withdraw offer" for the one offered; only for the owner. */
export function OwnershipOfferButton(props: {
  readonly api: ApiClient;
  readonly process: ProcessDetails;
  readonly entry: AccessEntry;
  readonly name: string;
  readonly act: (work: Promise<unknown>, done: string) => void;
}): React.JSX.Element | null {
  const { api, process, entry, name, act } = props;
  if (!process.actions.includes("transferOwnership") || entry.role === "owner") return null;
  // An expired role is no role: the API refuses an offer to it (not_a_holder); a waiting one can be withdrawn.
  if (entry.expired === true && entry.ownershipOffer === undefined) return null;
  if (entry.ownershipOffer !== undefined) {
    return (
      <Button
        size="small"
        aria-label={`Withdraw offer to ${name}`}
        onClick={() => {
          act(api.withdrawOwnershipOffer(process.id), `The offer to ${name} was withdrawn.`);
        }}
      >
        Withdraw offer
      </Button>
    );
  }
  return (
    <Button
      size="small"
      aria-label={`Make owner: ${name}`}
      onClick={() => {
        act(
          api.offerOwnership(process.id, entry.principalId),
          `${name} was offered ownership. They become the owner once they accept.`,
        );
      }}
    >
      Make owner
    </Button>
  );
}

/** The banner of the person offered: accept (they own it, the owner becomes a co-owner) or decline. */
export function OwnershipOfferBanner(props: {
  readonly api: ApiClient;
  readonly process: ProcessDetails;
  readonly onAnswered: () => void;
}): React.JSX.Element | null {
  const { api, process, onAnswered } = props;
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  if (!process.actions.includes("acceptOwnership")) return null;
  const answer = (choice: "accept" | "decline"): void => {
    setBusy(true);
    setError(undefined);
    api
      .answerOwnershipOffer(process.id, choice)
      .then(onAnswered)
      .catch((caught: unknown) => {
        setError(errorText(caught));
        onAnswered();
      })
      .finally(() => {
        setBusy(false);
      });
  };
  return (
    <section aria-label="Ownership offer">
      <MessageBar intent="info">
        <MessageBarBody>
          <MessageBarTitle>You've been offered ownership of this process</MessageBarTitle>
          If you accept, you become its owner and the current owner becomes a co-owner.
        </MessageBarBody>
        <MessageBarActions>
          <Button
            appearance="primary"
            disabled={busy}
            onClick={() => {
              answer("accept");
            }}
          >
            Accept ownership
          </Button>
          <Button
            disabled={busy}
            onClick={() => {
              answer("decline");
            }}
          >
            Decline
          </Button>
        </MessageBarActions>
      </MessageBar>
      <ErrorBar error={error} />
    </section>
  );
}
