import {
  Badge,
  Button,
  Dialog,
  DialogActions,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
  DialogTrigger,
  makeStyles,
  Spinner,
  Text,
  tokens,
} from "@fluentui/react-components";
import { useState } from "react";

import type { ApiClient } from "../api.js";
import { type ExplanationLine, explanationLines } from "../logic/explain.js";
import { ErrorBar, errorText } from "./ErrorBar.js";

const useStyles = makeStyles({
  list: {
    listStyleType: "none",
    margin: 0,
    padding: 0,
    display: "flex",
    flexDirection: "column",
    gap: tokens.spacingVerticalS,
  },
  item: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalXXS },
  head: { display: "flex", alignItems: "center", gap: tokens.spacingHorizontalS },
  muted: { color: tokens.colorNeutralForeground3 },
});

/** "Why?" on a Manage access row: the API's explanation of that person's access, in words. */
export function ExplainAccessButton(props: {
  readonly api: ApiClient;
  readonly processId: string;
  readonly principalId: string;
  readonly name: string;
}): React.JSX.Element {
  const styles = useStyles();
  const [lines, setLines] = useState<ExplanationLine[]>();
  const [error, setError] = useState<string>();

  const load = (): void => {
    setLines(undefined);
    setError(undefined);
    props.api.explainAccess(props.processId, props.principalId).then(
      (explanation) => {
        setLines(explanationLines(explanation));
      },
      (caught: unknown) => {
        setError(errorText(caught));
      },
    );
  };

  return (
    <Dialog
      onOpenChange={(_, data) => {
        if (data.open) load();
      }}
    >
      <DialogTrigger disableButtonEnhancement>
        <Button size="small" aria-label={`Why? Explain the access of ${props.name}`}>
          Why?
        </Button>
      </DialogTrigger>
      <DialogSurface aria-label={`Access of ${props.name}`}>
        <DialogBody>
          <DialogTitle>Access of {props.name}</DialogTitle>
          <DialogContent>
            <ErrorBar error={error} />
            {lines === undefined && error === undefined && <Spinner label="Loading the explanation" />}
            {lines !== undefined && (
              <ul className={styles.list} aria-label={`What ${props.name} can do, and why`}>
                {lines.map((line) => (
                  <li key={line.action} className={styles.item} data-action={line.action}>
                    <span className={styles.head}>
                      <Badge appearance="tint" color={line.granted ? "success" : "subtle"}>
                        {line.granted ? "Allowed" : "Not allowed"}
                      </Badge>
                      <Text weight="semibold">{line.label}</Text>
                    </span>
                    {line.reasons.map((reason) => (
                      <Text key={reason} size={200}>
                        {reason}
                      </Text>
                    ))}
                  </li>
                ))}
              </ul>
            )}
          </DialogContent>
          <DialogActions>
            <DialogTrigger disableButtonEnhancement>
              <Button appearance="primary">Close</Button>
            </DialogTrigger>
          </DialogActions>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}
