import {
  Badge,
  Button,
  Card,
  Field,
  Input,
  Link,
  makeStyles,
  Radio,
  RadioGroup,
  Spinner,
  Subtitle2,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Text,
  Textarea,
  Title2,
  tokens,
} from "@fluentui/react-components";
import { AddRegular } from "@fluentui/react-icons";
import { useCallback, useEffect, useState } from "react";

import type { ApiClient, ProcessSummary } from "../api.js";
import { appendPage, type Page } from "../logic/paging.js";
import { type Kind, kindLabel, roleLabel } from "../logic/roles.js";
import { navigate } from "../router.js";
import { ErrorBar, errorText } from "./ErrorBar.js";

const useStyles = makeStyles({
  page: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalL },
  bar: { display: "flex", alignItems: "center", justifyContent: "space-between" },
  table: { backgroundColor: tokens.colorNeutralBackground1 },
  form: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalM },
  muted: { color: tokens.colorNeutralForeground3 },
  actions: { display: "flex", gap: tokens.spacingHorizontalS },
});

export function ProcessListScreen(props: { readonly api: ApiClient }): React.JSX.Element {
  const styles = useStyles();
  const { api } = props;
  const [items, setItems] = useState<ProcessSummary[]>([]);
  const [lastPage, setLastPage] = useState<Page<ProcessSummary>>();
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string>();
  const [creating, setCreating] = useState(false);

  const load = useCallback(
    (previous?: Page<ProcessSummary>) => {
      setLoading(true);
      setError(undefined);
      api
        .listProcesses(previous)
        .then((page) => {
          setItems((shown) => appendPage(previous === undefined ? [] : shown, page));
          setLastPage(page);
        })
        .catch((caught: unknown) => {
          setError(errorText(caught));
        })
        .finally(() => {
          setLoading(false);
        });
    },
    [api],
  );

  useEffect(() => {
    load();
  }, [load]);

  return (
    <div className={styles.page}>
      <div className={styles.bar}>
        <Title2 as="h1">Processes</Title2>
        <Button
          appearance="primary"
          icon={<AddRegular />}
          onClick={() => {
            setCreating(true);
          }}
        >
          New process
        </Button>
      </div>
      {creating && (
        <CreateProcessForm
          api={api}
          onClose={() => {
            setCreating(false);
          }}
        />
      )}
      <ErrorBar error={error} />
      <Table aria-label="Processes" className={styles.table}>
        <TableHeader>
          <TableRow>
            <TableHeaderCell>Name</TableHeaderCell>
            <TableHeaderCell>Kind</TableHeaderCell>
            <TableHeaderCell>My role</TableHeaderCell>
            <TableHeaderCell>Status</TableHeaderCell>
          </TableRow>
        </TableHeader>
        <TableBody>
          {items.map((process) => (
            <TableRow key={process.id} data-process-id={process.id}>
              <TableCell>
                {process.accessRevoked ? (
                  <Text className={styles.muted}>{process.name}</Text>
                ) : (
                  <Link
                    href={`/processes/${encodeURIComponent(process.id)}`}
                    onClick={(event) => {
                      event.preventDefault();
                      navigate({ name: "process", id: process.id });
                    }}
                  >
                    {process.name}
                  </Link>
                )}
              </TableCell>
              <TableCell>{kindLabel(process.kind)}</TableCell>
              <TableCell>{roleLabel(process.myRole)}</TableCell>
              <TableCell>
                {process.accessRevoked ? (
                  <Badge appearance="tint" color="danger">
                    Access removed
                  </Badge>
                ) : (
                  <Badge appearance="tint" color="success">
                    Active
                  </Badge>
                )}
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
      {!loading && items.length === 0 && error === undefined && (
        <Text>No processes yet. Create one, or ask a colleague to share one with you.</Text>
      )}
      {loading && <Spinner size="small" label="Loading processes" />}
      {!loading && lastPage?.nextLink !== undefined && (
        <Button
          onClick={() => {
            load(lastPage);
          }}
        >
          Load more
        </Button>
      )}
    </div>
  );
}

function CreateProcessForm(props: {
  readonly api: ApiClient;
  readonly onClose: () => void;
}): React.JSX.Element {
  const styles = useStyles();
  const [kind, setKind] = useState<Kind>("processMining");
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  const create = (event: React.SyntheticEvent): void => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    props.api
      .createProcess(kind, name.trim(), description.trim())
      .then((created) => {
        navigate({ name: "process", id: created.id });
      })
      .catch((caught: unknown) => {
        setError(errorText(caught));
        setBusy(false);
      });
  };

  return (
    <Card>
      <form className={styles.form} onSubmit={create} aria-label="New process">
        <Subtitle2 as="h2">New process</Subtitle2>
        <ErrorBar error={error} />
        <Field label="Kind" required>
          <RadioGroup
            value={kind}
            layout="horizontal"
            onChange={(_, data) => {
              setKind(data.value as Kind);
            }}
          >
            <Radio value="processMining" label="Process mining" />
            <Radio value="taskMining" label="Task mining" />
          </RadioGroup>
        </Field>
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
            onChange={(_, data) => {
              setDescription(data.value);
            }}
          />
        </Field>
        <div className={styles.actions}>
          <Button appearance="primary" type="submit" disabled={busy || name.trim() === ""}>
            Create
          </Button>
          <Button onClick={props.onClose}>Cancel</Button>
        </div>
      </form>
    </Card>
  );
}
