import {
  Badge,
  Button,
  Card,
  CardHeader,
  Field,
  Input,
  makeStyles,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Text,
  tokens,
} from "@fluentui/react-components";
import { useCallback, useEffect, useState } from "react";

import type { ApiClient, Me, ProcessDetails, Recording } from "../api.js";
import { appendPage, type Page } from "../logic/paging.js";
import { parseLabels } from "../logic/text.js";
import { ErrorBar, errorText } from "./ErrorBar.js";

const useStyles = makeStyles({
  form: { display: "flex", gap: tokens.spacingHorizontalS, alignItems: "flex-end", flexWrap: "wrap" },
  labels: { display: "flex", gap: tokens.spacingHorizontalXS, flexWrap: "wrap" },
  actions: { display: "flex", gap: tokens.spacingHorizontalXS },
});

/** Task mining recordings: what the caller's actions allow (add; label and delete their own, or anyone's). */
export function RecordingsCard(props: {
  readonly api: ApiClient;
  readonly process: ProcessDetails;
  readonly me: Me;
}): React.JSX.Element {
  const styles = useStyles();
  const { api, process, me } = props;
  const [items, setItems] = useState<Recording[]>([]);
  const [lastPage, setLastPage] = useState<Page<Recording>>();
  const [name, setName] = useState("");
  const [labels, setLabels] = useState("");
  const [editing, setEditing] = useState<{ id: string; labels: string }>();
  const [error, setError] = useState<string>();
  const canAdd = process.actions.includes("addRecording");
  const canManageAll = process.actions.includes("manageAllRecordings");

  const load = useCallback(
    (previous?: Page<Recording>) => {
      api
        .listRecordings(process.id, previous)
        .then((page) => {
          setItems((shown) => appendPage(previous === undefined ? [] : shown, page));
          setLastPage(page);
        })
        .catch((caught: unknown) => {
          setError(errorText(caught));
        });
    },
    [api, process.id],
  );

  useEffect(() => {
    load();
  }, [load]);

  const run = (work: Promise<unknown>, after?: () => void): void => {
    setError(undefined);
    work
      .then(() => {
        after?.();
        load();
      })
      .catch((caught: unknown) => {
        setError(errorText(caught));
      });
  };

  return (
    <Card>
      <CardHeader header={<Text weight="semibold">Recordings</Text>} />
      <ErrorBar error={error} />
      {canAdd && (
        <form
          className={styles.form}
          onSubmit={(event) => {
            event.preventDefault();
            run(api.addRecording(process.id, name.trim(), parseLabels(labels)), () => {
              setName("");
              setLabels("");
            });
          }}
        >
          <Field label="Recording name">
            <Input
              value={name}
              maxLength={200}
              onChange={(_, data) => {
                setName(data.value);
              }}
            />
          </Field>
          <Field label="Labels (comma-separated)">
            <Input
              value={labels}
              onChange={(_, data) => {
                setLabels(data.value);
              }}
            />
          </Field>
          <Button type="submit" disabled={name.trim() === ""}>
            Add recording
          </Button>
        </form>
      )}
      {items.length === 0 ? (
        <Text>No recordings yet.</Text>
      ) : (
        <Table aria-label="Recordings" size="small">
          <TableHeader>
            <TableRow>
              <TableHeaderCell>Name</TableHeaderCell>
              <TableHeaderCell>Labels</TableHeaderCell>
              <TableHeaderCell>
                <span>Actions</span>
              </TableHeaderCell>
            </TableRow>
          </TableHeader>
          <TableBody>
            {items.map((recording) => {
              const mayChange = canManageAll || (canAdd && recording.addedBy === me.id);
              return (
                <TableRow key={recording.id} aria-label={recording.name}>
                  <TableCell>{recording.name}</TableCell>
                  <TableCell>
                    {editing?.id === recording.id ? (
                      <Input
                        aria-label={`Labels of ${recording.name}`}
                        value={editing.labels}
                        onChange={(_, data) => {
                          setEditing({ id: recording.id, labels: data.value });
                        }}
                      />
                    ) : (
                      <span className={styles.labels}>
                        {recording.labels.map((label) => (
                          <Badge key={label} appearance="outline">
                            {label}
                          </Badge>
                        ))}
                      </span>
                    )}
                  </TableCell>
                  <TableCell>
                    {mayChange && (
                      <span className={styles.actions}>
                        {editing?.id === recording.id ? (
                          <Button
                            size="small"
                            onClick={() => {
                              run(
                                api.relabelRecording(process.id, recording, parseLabels(editing.labels)),
                                () => {
                                  setEditing(undefined);
                                },
                              );
                            }}
                          >
                            Save labels
                          </Button>
                        ) : (
                          <Button
                            size="small"
                            aria-label={`Label ${recording.name}`}
                            onClick={() => {
                              setEditing({ id: recording.id, labels: recording.labels.join(", ") });
                            }}
                          >
                            Label
                          </Button>
                        )}
                        <Button
                          size="small"
                          aria-label={`Delete ${recording.name}`}
                          onClick={() => {
                            run(api.deleteRecording(process.id, recording.id));
                          }}
                        >
                          Delete
                        </Button>
                      </span>
                    )}
                  </TableCell>
                </TableRow>
              );
            })}
          </TableBody>
        </Table>
      )}
      {lastPage?.nextLink !== undefined && (
        <Button
          onClick={() => {
            load(lastPage);
          }}
        >
          Load more
        </Button>
      )}
    </Card>
  );
}
