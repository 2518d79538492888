import {
  AvatarGroup,
  AvatarGroupItem,
  Badge,
  Body1,
  Breadcrumb,
  BreadcrumbButton,
  BreadcrumbDivider,
  BreadcrumbItem,
  Button,
  Card,
  CardHeader,
  Field,
  Input,
  makeStyles,
  MessageBar,
  MessageBarActions,
  MessageBarBody,
  MessageBarTitle,
  Spinner,
  Text,
  Textarea,
  Title2,
  tokens,
  Toolbar,
  ToolbarButton,
} from "@fluentui/react-components";
import {
  DeleteRegular,
  DoorArrowLeftRegular,
  EditRegular,
  PeopleSettingsRegular,
  ShareRegular,
} from "@fluentui/react-icons";
import { useCallback, useEffect, useState } from "react";

import { type AccessEntry, type ApiClient, ApiError, type Me, type ProcessDetails } from "../api.js";
import { kindLabel, roleLabel } from "../logic/roles.js";
import { personName, shortDate } from "../logic/text.js";
import { navigate } from "../router.js";
import { ErrorBar, errorText } from "./ErrorBar.js";
import { ManageAccessPanel } from "./ManageAccess.js";
import { OwnershipOfferBanner } from "./OwnershipOffer.js";
import { RecordingsCard } from "./Recordings.js";
import { SharePanel } from "./SharePanel.js";

const useStyles = makeStyles({
  page: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalL },
  cards: {
    display: "grid",
    gridTemplateColumns: "2fr 1fr",
    gap: tokens.spacingHorizontalL,
    alignItems: "start",
  },
  form: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalM },
  row: { display: "flex", gap: tokens.spacingHorizontalS },
  label: { color: tokens.colorNeutralForeground3, display: "block" },
  description: { whiteSpace: "pre-wrap" },
  toolbar: { backgroundColor: tokens.colorNeutralBackground1, borderRadius: tokens.borderRadiusMedium },
});

export function ProcessDetailsScreen(props: {
  readonly api: ApiClient;
  readonly processId: string;
}): React.JSX.Element {
  const styles = useStyles();
  const { api, processId } = props;
  const [process, setProcess] = useState<ProcessDetails>();
  const [etag, setEtag] = useState<string | null>(null);
  const [me, setMe] = useState<Me>();
  const [access, setAccess] = useState<AccessEntry[]>();
  const [error, setError] = useState<string>();
  const [panel, setPanelState] = useState<"share" | "manage">();
  // Each opening gets a fresh panel; a closed one stays mounted until its closing motion ends.
  const [opened, setOpened] = useState({ share: 0, manage: 0 });
  const setPanel = (next: "share" | "manage" | undefined): void => {
    if (next !== undefined) setOpened((counts) => ({ ...counts, [next]: counts[next] + 1 }));
    setPanelState(next);
  };
  const [confirm, setConfirm] = useState<"delete" | "leave">();
  const [editing, setEditing] = useState(false);

  const loadAccess = useCallback(
    (actions: readonly string[]) => {
      if (!actions.includes("viewAccess")) {
        setAccess(undefined);
        return;
      }
      api
        .listAccess(processId)
        .then(setAccess)
        .catch((caught: unknown) => {
          setError(errorText(caught));
        });
    },
    [api, processId],
  );

  const load = useCallback(() => {
    setError(undefined);
    api
      .getProcess(processId)
      .then(({ process: loaded, etag: tag }) => {
        setProcess(loaded);
        setEtag(tag);
        loadAccess(loaded.actions);
      })
      .catch((caught: unknown) => {
        setError(errorText(caught));
      });
  }, [api, processId, loadAccess]);

  useEffect(() => {
    load();
    api
      .me()
      .then(setMe)
      .catch(() => undefined);
  }, [api, load]);

  if (process === undefined) {
    return (
      <div className={styles.page}>
        <BackCrumb name={undefined} />
        {error === undefined ? <Spinner label="Loading the process" /> : <ErrorBar error={error} />}
      </div>
    );
  }

  const can = (action: string): boolean => process.actions.includes(action as never);
  const canLeave = process.myRole !== null && process.myRole !== "owner" && me !== undefined;

  const runConfirmed = (): void => {
    const what = confirm;
    setConfirm(undefined);
    const done =
      what === "delete"
        ? api.deleteProcess(process.id)
        : me === undefined
          ? Promise.resolve()
          : api.removeAccess(process.id, me.id);
    done
      .then(() => {
        navigate({ name: "processes" });
      })
      .catch((caught: unknown) => {
        setError(errorText(caught));
      });
  };

  return (
    <div className={styles.page}>
      <BackCrumb name={process.name} />
      <Title2 as="h1">{process.name}</Title2>
      <Toolbar aria-label="Process actions" className={styles.toolbar}>
        {can("share") && (
          <ToolbarButton
            icon={<ShareRegular />}
            onClick={() => {
              setPanel("share");
            }}
          >
            Share
          </ToolbarButton>
        )}
        {can("viewAccess") && (
          <ToolbarButton
            icon={<PeopleSettingsRegular />}
            onClick={() => {
              setPanel("manage");
            }}
          >
            Manage access
          </ToolbarButton>
        )}
        {can("delete") && (
          <ToolbarButton
            icon={<DeleteRegular />}
            onClick={() => {
              setConfirm("delete");
            }}
          >
            Delete
          </ToolbarButton>
        )}
        {canLeave && (
          <ToolbarButton
            icon={<DoorArrowLeftRegular />}
            onClick={() => {
              setConfirm("leave");
            }}
          >
            Leave
          </ToolbarButton>
        )}
      </Toolbar>
      {confirm !== undefined && (
        <MessageBar
          intent="warning"
          role="alertdialog"
          aria-label={confirm === "delete" ? "Delete this process?" : "Leave this process?"}
        >
          <MessageBarBody>
            <MessageBarTitle>
              {confirm === "delete" ? "Delete this process?" : "Leave this process?"}
            </MessageBarTitle>
            {confirm === "delete"
              ? `"${process.name}" and its recordings will be deleted for everyone who has access.`
              : `You will lose access to "${process.name}" until someone shares it with you again.`}
          </MessageBarBody>
          <MessageBarActions>
            <Button appearance="primary" onClick={runConfirmed}>
              {confirm === "delete" ? "Delete" : "Leave"}
            </Button>
            <Button
              onClick={() => {
                setConfirm(undefined);
              }}
            >
              Cancel
            </Button>
          </MessageBarActions>
        </MessageBar>
      )}
      <OwnershipOfferBanner api={api} process={process} onAnswered={load} />
      <ErrorBar error={error} />
      <div className={styles.cards}>
        <div className={styles.form}>
          <DetailsCard
            api={api}
            process={process}
            etag={etag}
            editing={editing}
            setEditing={setEditing}
            onSaved={(saved, tag) => {
              setProcess(saved);
              setEtag(tag);
            }}
            onReload={load}
          />
          {process.kind === "taskMining" && me !== undefined && (
            <RecordingsCard api={api} process={process} me={me} />
          )}
        </div>
        {access !== undefined && (
          <SharedWithCard
            access={access}
            onManage={() => {
              setPanel("manage");
            }}
          />
        )}
      </div>
      {opened.share > 0 && (
        <SharePanel
          key={`share-${opened.share}`}
          open={panel === "share"}
          api={api}
          process={process}
          onClose={() => {
            setPanel(undefined);
            loadAccess(process.actions);
          }}
        />
      )}
      {opened.manage > 0 && (
        <ManageAccessPanel
          key={`manage-${opened.manage}`}
          open={panel === "manage"}
          api={api}
          process={process}
          meId={me?.id}
          onChanged={setAccess}
          onClose={() => {
            setPanel(undefined);
            loadAccess(process.actions);
          }}
        />
      )}
    </div>
  );
}

function BackCrumb(props: { readonly name: string | undefined }): React.JSX.Element {
  return (
    <Breadcrumb aria-label="Breadcrumb">
      <BreadcrumbItem>
        <BreadcrumbButton
          onClick={() => {
            navigate({ name: "processes" });
          }}
        >
          Processes
        </BreadcrumbButton>
      </BreadcrumbItem>
      {props.name !== undefined && (
        <>
          <BreadcrumbDivider />
          <BreadcrumbItem>
            <BreadcrumbButton current>{props.name}</BreadcrumbButton>
          </BreadcrumbItem>
        </>
      )}
    </Breadcrumb>
  );
}

function DetailsCard(props: {
  readonly api: ApiClient;
  readonly process: ProcessDetails;
  readonly etag: string | null;
  readonly editing: boolean;
  readonly setEditing: (editing: boolean) => void;
  readonly onSaved: (process: ProcessDetails, etag: string | null) => void;
  readonly onReload: () => void;
}): React.JSX.Element {
  const styles = useStyles();
  const { process } = props;
  const [name, setName] = useState(process.name);
  const [description, setDescription] = useState(process.description);
  const [error, setError] = useState<string>();
  const [conflict, setConflict] = useState<string>();
  const [busy, setBusy] = useState(false);

  const startEditing = (): void => {
    setName(process.name);
    setDescription(process.description);
    setError(undefined);
    setConflict(undefined);
    props.setEditing(true);
  };

  const save = (event: React.SyntheticEvent): void => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    setConflict(undefined);
    const changes: { name?: string; description?: string } = {};
    if (name.trim() !== process.name) changes.name = name.trim();
    if (description !== process.description) changes.description = description;
    props.api
      .updateProcess(process.id, changes, props.etag)
      .then(({ process: saved, etag }) => {
        props.onSaved(saved, etag);
        props.setEditing(false);
      })
      .catch((caught: unknown) => {
        if (caught instanceof ApiError && caught.status === 412) setConflict(caught.message);
        else setError(errorText(caught));
      })
      .finally(() => {
        setBusy(false);
      });
  };

  return (
    <Card>
      <CardHeader
        header={<Text weight="semibold">Details</Text>}
        action={
          process.actions.includes("update") && !props.editing ? (
            <Button appearance="subtle" icon={<EditRegular />} onClick={startEditing}>
              Edit
            </Button>
          ) : undefined
        }
      />
      {props.editing ? (
        <form className={styles.form} onSubmit={save}>
          {conflict !== undefined && (
            <MessageBar intent="warning" role="alert">
              <MessageBarBody>
                <MessageBarTitle>Changed by someone else</MessageBarTitle>
                {conflict} Your edits are kept here until you reload.
              </MessageBarBody>
              <MessageBarActions>
                <Button
                  onClick={() => {
                    props.setEditing(false);
                    props.onReload();
                  }}
                >
                  Reload
                </Button>
              </MessageBarActions>
            </MessageBar>
          )}
          <ErrorBar error={error} />
          <Field label="Name" required>
            <Input
              value={name}
              maxLength={200}
              onChange={(_, data) => {
                setName(data.value);
              }}
            />
          </Field>
          <Field label="Description">
            <Textarea
              value={description}
              maxLength={4000}
              resize="vertical"
              onChange={(_, data) => {
                setDescription(data.value);
              }}
            />
          </Field>
          <div className={styles.row}>
            <Button appearance="primary" type="submit" disabled={busy || name.trim() === ""}>
              Save
            </Button>
            <Button
              onClick={() => {
                props.setEditing(false);
              }}
            >
              Cancel
            </Button>
          </div>
        </form>
      ) : (
        <div className={styles.form}>
          <div>
            <Text className={styles.label}>Kind</Text>
            <Body1>{kindLabel(process.kind)}</Body1>
          </div>
          <div>
            <Text className={styles.label}>Your role</Text>
            <Body1>{roleLabel(process.myRole)}</Body1>
          </div>
          <div>
            <Text className={styles.label}>Description</Text>
            <Body1 className={styles.description}>
              {process.description === "" ? "No description" : process.description}
            </Body1>
          </div>
          <div>
            <Text className={styles.label}>Last changed</Text>
            <Body1>{shortDate(process.updatedAt)}</Body1>
          </div>
        </div>
      )}
    </Card>
  );
}

function SharedWithCard(props: {
  readonly access: readonly AccessEntry[];
  readonly onManage: () => void;
}): React.JSX.Element {
  const styles = useStyles();
  return (
    <Card aria-label="Shared with">
      <CardHeader
        header={<Text weight="semibold">Shared with</Text>}
        action={
          <Button appearance="subtle" onClick={props.onManage}>
            Manage
          </Button>
        }
      />
      <AvatarGroup layout="stack" aria-hidden>
        {props.access.slice(0, 6).map((entry) => (
          <AvatarGroupItem key={entry.principalId} name={personName(entry)} />
        ))}
      </AvatarGroup>
      <ul className={styles.form} style={{ margin: 0, paddingLeft: 0, listStyle: "none" }}>
        {props.access.map((entry) => (
          <li key={entry.principalId}>
            <Text>{personName(entry)}</Text> <Text className={styles.label}>{roleLabel(entry.role)}</Text>
            {entry.userType === "Guest" && (
              <Badge appearance="tint" color="warning">
                Guest
              </Badge>
            )}
          </li>
        ))}
      </ul>
    </Card>
  );
}
