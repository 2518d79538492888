import {
  Avatar,
  Badge,
  Button,
  Checkbox,
  DrawerBody,
  DrawerFooter,
  DrawerHeader,
  DrawerHeaderTitle,
  Field,
  Input,
  makeStyles,
  MessageBar,
  MessageBarBody,
  OverlayDrawer,
  Radio,
  RadioGroup,
  Spinner,
  Tag,
  TagPicker,
  TagPickerControl,
  TagPickerGroup,
  TagPickerInput,
  TagPickerList,
  TagPickerOption,
  Text,
  Textarea,
  tokens,
} from "@fluentui/react-components";
import { DismissRegular } from "@fluentui/react-icons";
import { useEffect, useRef, useState } from "react";

import type { ApiClient, ProcessDetails, User } from "../api.js";
import { expiryBounds, expiryFromDate } from "../logic/expiry.js";
import { type GrantableRole, grantableRoles, roleHint, roleLabel } from "../logic/roles.js";
import { looksLikeEmail, searchDelayMs, searchTerm } from "../logic/search.js";
import { describeShareResults, type ShareLine, shareSummary } from "../logic/shareResults.js";
import { characterCount, messageLimit } from "../logic/text.js";
import { ErrorBar, errorText } from "./ErrorBar.js";

const useStyles = makeStyles({
  body: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalL },
  option: { display: "flex", alignItems: "center", gap: tokens.spacingHorizontalXS },
  results: { margin: 0, paddingLeft: tokens.spacingHorizontalL },
  failed: { color: tokens.colorPaletteRedForeground1 },
  ok: { color: tokens.colorPaletteGreenForeground1 },
  count: { alignSelf: "flex-end" },
  over: { color: tokens.colorPaletteRedForeground1, fontWeight: tokens.fontWeightSemibold },
});

interface Picked {
  readonly value: string;
  readonly label: string;
  readonly recipient: { id: string } | { email: string };
  readonly guest: boolean;
}

export function SharePanel(props: {
  readonly open: boolean;
  readonly api: ApiClient;
  readonly process: ProcessDetails;
  readonly onClose: () => void;
}): React.JSX.Element {
  const styles = useStyles();
  const { api, process } = props;
  const roles = grantableRoles(process.kind);
  const [query, setQuery] = useState("");
  const [listOpen, setListOpen] = useState(false);
  const [found, setFound] = useState<User[]>([]);
  const [searching, setSearching] = useState(false);
  const [searchError, setSearchError] = useState<string>();
  const [picked, setPicked] = useState<Picked[]>([]);
  const [role, setRole] = useState<GrantableRole>(roles[0] ?? "coOwner");
  const [sendInvitation, setSendInvitation] = useState(true);
  const [message, setMessage] = useState("");
  const [endsOn, setEndsOn] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [results, setResults] = useState<ShareLine[]>();
  const sequence = useRef(0);
  const resultsRef = useRef<HTMLDivElement>(null);

  // The results take the focus (the Share button is disabled meanwhile): read out, and Escape still closes.
  useEffect(() => {
    if (results !== undefined) resultsRef.current?.focus();
  }, [results]);

  // Debounced search: only the answer to the latest text is shown.
  useEffect(() => {
    const term = searchTerm(query);
    const asked = ++sequence.current;
    if (term === undefined) {
      setFound([]);
      setSearching(false);
      return;
    }
    setSearching(true);
    const timer = setTimeout(() => {
      api
        .searchUsers(term)
        .then((users) => {
          if (asked !== sequence.current) return;
          setFound(users);
          setSearchError(undefined);
        })
        .catch((caught: unknown) => {
          if (asked === sequence.current) setSearchError(errorText(caught));
        })
        .finally(() => {
          if (asked === sequence.current) setSearching(false);
        });
    }, searchDelayMs);
    return () => {
      clearTimeout(timer);
    };
  }, [api, query]);

  const pickedValues = picked.map((person) => person.value);
  const options = found.filter((user) => !pickedValues.includes(user.id));
  const typedAddress = query.trim();
  const offerAddress =
    looksLikeEmail(typedAddress) &&
    !found.some((user) => user.email.toLowerCase() === typedAddress.toLowerCase()) &&
    !pickedValues.includes(typedAddress.toLowerCase());
  const count = characterCount(message, messageLimit);

  const select = (value: string | undefined): void => {
    if (value === undefined) return;
    if (pickedValues.includes(value)) {
      setPicked(picked.filter((person) => person.value !== value));
      return;
    }
    const user = found.find((candidate) => candidate.id === value);
    const person: Picked | undefined =
      user !== undefined
        ? { value, label: user.displayName, recipient: { id: user.id }, guest: user.userType === "Guest" }
        : looksLikeEmail(value)
          ? { value, label: value, recipient: { email: value }, guest: false }
          : undefined;
    if (person === undefined) return;
    setPicked([...picked, person]);
    setQuery("");
    setResults(undefined);
  };

  const share = (): void => {
    setBusy(true);
    setError(undefined);
    setResults(undefined);
    const names = new Map(
      picked.map((person) => [
        "id" in person.recipient ? person.recipient.id : person.recipient.email,
        person.label,
      ]),
    );
    api
      .share(process.id, {
        role,
        recipients: picked.map((person) => person.recipient),
        sendInvitation,
        ...(message.trim() === "" ? {} : { message }),
        ...(expiryFromDate(endsOn) === undefined ? {} : { expiresAt: expiryFromDate(endsOn) }),
      })
      .then(({ results: answered }) => {
        const lines = describeShareResults(answered, names);
        setResults(lines);
        // Those that failed stay picked, so that a second try needs no retyping.
        const failed = new Set(
          answered
            .filter((result) => result.status === "failed")
            .map((result) => result.recipient.id ?? result.recipient.email),
        );
        setPicked((current) =>
          current.filter((person) =>
            failed.has("id" in person.recipient ? person.recipient.id : person.recipient.email),
          ),
        );
      })
      .catch((caught: unknown) => {
        setError(errorText(caught));
      })
      .finally(() => {
        setBusy(false);
      });
  };

  const failedCount = results?.filter((line) => !line.ok).length ?? 0;

  return (
    <OverlayDrawer
      open={props.open}
      position="end"
      size="medium"
      aria-label={`Share ${process.name}`}
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
          Share
        </DrawerHeaderTitle>
        <Text>{process.name}</Text>
      </DrawerHeader>
      <DrawerBody className={styles.body}>
        <Field
          label="People"
          hint="Type at least two letters of a name or email address, or a whole address."
          validationMessage={searchError}
        >
          <TagPicker
            open={listOpen && searchTerm(query) !== undefined}
            onOpenChange={(_, data) => {
              setListOpen(data.open);
            }}
            selectedOptions={pickedValues}
            onOptionSelect={(_, data) => {
              select(data.value);
            }}
          >
            <TagPickerControl expandIcon={null}>
              <TagPickerGroup aria-label="People to share with">
                {picked.map((person) => (
                  <Tag
                    key={person.value}
                    value={person.value}
                    shape="rounded"
                    media={<Avatar name={person.label} color="colorful" aria-hidden />}
                    secondaryText={person.guest ? "Guest" : undefined}
                  >
                    {person.label}
                  </Tag>
                ))}
              </TagPickerGroup>
              <TagPickerInput
                aria-label="Search people"
                placeholder={picked.length === 0 ? "Enter a name or email address" : undefined}
                value={query}
                onChange={(event) => {
                  setQuery(event.target.value);
                  // Typed or pasted, text opens the suggestions.
                  setListOpen(event.target.value.trim() !== "");
                }}
              />
            </TagPickerControl>
            <TagPickerList>
              {searching && options.length === 0 && !offerAddress ? (
                <TagPickerOption value="__searching" text="Searching">
                  Searching…
                </TagPickerOption>
              ) : null}
              {options.map((user) => (
                <TagPickerOption
                  key={user.id}
                  value={user.id}
                  text={user.displayName}
                  media={<Avatar name={user.displayName} color="colorful" aria-hidden />}
                  secondaryContent={
                    <span className={styles.option}>
                      {user.email}
                      {user.userType === "Guest" && (
                        <Badge appearance="tint" color="warning" size="small">
                          Guest
                        </Badge>
                      )}
                    </span>
                  }
                >
                  {user.displayName}
                </TagPickerOption>
              ))}
              {offerAddress && (
                <TagPickerOption value={typedAddress.toLowerCase()} text={typedAddress}>
                  {`Share with ${typedAddress}`}
                </TagPickerOption>
              )}
              {!searching && searchTerm(query) !== undefined && options.length === 0 && !offerAddress ? (
                <TagPickerOption value="__none" text="No one found">
                  No one found
                </TagPickerOption>
              ) : null}
            </TagPickerList>
          </TagPicker>
        </Field>
        <Field label="Role">
          <RadioGroup
            value={role}
            onChange={(_, data) => {
              setRole(data.value as GrantableRole);
            }}
          >
            {roles.map((option) => (
              <Radio
                key={option}
                value={option}
                label={`${roleLabel(option)}: ${roleHint(process.kind, option)}`}
              />
            ))}
          </RadioGroup>
        </Field>
        <Field label="Access ends (optional)" hint="Leave empty for access that does not end.">
          <Input
            type="date"
            value={endsOn}
            min={expiryBounds(new Date()).min}
            max={expiryBounds(new Date()).max}
            onChange={(_, data) => {
              setEndsOn(data.value);
            }}
          />
        </Field>
        <Checkbox
          checked={sendInvitation}
          label="Send an email invitation"
          onChange={(_, data) => {
            setSendInvitation(data.checked === true);
          }}
        />
        <Field
          label="Message (optional)"
          validationState={count.over ? "error" : "none"}
          validationMessage={
            count.over
              ? `The message can be at most ${messageLimit.toLocaleString("en-US")} characters.`
              : undefined
          }
        >
          <Textarea
            value={message}
            disabled={!sendInvitation}
            resize="vertical"
            onChange={(_, data) => {
              setMessage(data.value);
            }}
          />
        </Field>
        <Text size={200} className={count.over ? styles.over : styles.count} aria-live="polite">
          {count.label} characters
        </Text>
        <ErrorBar error={error} />
        {results !== undefined && (
          <div ref={resultsRef} tabIndex={-1}>
            <MessageBar
              intent={failedCount === 0 ? "success" : failedCount === results.length ? "error" : "warning"}
              role="status"
            >
              <MessageBarBody>
                <Text weight="semibold">{shareSummary(results)}</Text>
                <ul className={styles.results} aria-label="Share results">
                  {results.map((line) => (
                    <li key={line.who} className={line.ok ? styles.ok : styles.failed}>
                      {line.who}: {line.text}
                    </li>
                  ))}
                </ul>
              </MessageBarBody>
            </MessageBar>
          </div>
        )}
        {busy && <Spinner size="tiny" label="Sharing" />}
      </DrawerBody>
      <DrawerFooter>
        <Button appearance="primary" disabled={busy || picked.length === 0 || count.over} onClick={share}>
          Share
        </Button>
        <Button onClick={props.onClose}>Close</Button>
      </DrawerFooter>
    </OverlayDrawer>
  );
}
