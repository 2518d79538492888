import {
  Badge,
  Button,
  Card,
  makeStyles,
  MessageBar,
  MessageBarBody,
  Persona,
  Text,
  Title1,
  tokens,
} from "@fluentui/react-components";
import { useState } from "react";

import { devSignIn, entraSession, type Session } from "../auth/session.js";
import type { WebConfig } from "../logic/config.js";

const useStyles = makeStyles({
  page: {
    display: "flex",
    flexDirection: "column",
    gap: tokens.spacingVerticalL,
    maxWidth: "560px",
    margin: "0 auto",
  },
  users: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalS },
  user: {
    display: "flex",
    alignItems: "center",
    justifyContent: "space-between",
    gap: tokens.spacingHorizontalM,
  },
  badges: { display: "flex", gap: tokens.spacingHorizontalXS },
});

export function SignInScreen(props: {
  readonly config: WebConfig;
  readonly reason: string | undefined;
  readonly onSignedIn: (session: Session) => void;
}): React.JSX.Element {
  const styles = useStyles();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const { config } = props;

  const run = (signIn: () => Promise<Session | undefined>): void => {
    setBusy(true);
    setError(undefined);
    signIn()
      .then((session) => {
        if (session !== undefined) props.onSignedIn(session);
      })
      .catch((caught: unknown) => {
        setError(caught instanceof Error ? caught.message : "Sign-in failed. Try again.");
      })
      .finally(() => {
        setBusy(false);
      });
  };

  return (
    <div className={styles.page}>
      <Title1 as="h1">Sign in</Title1>
      {props.reason !== undefined && (
        <MessageBar intent="warning">
          <MessageBarBody>{props.reason}</MessageBarBody>
        </MessageBar>
      )}
      {error !== undefined && (
        <MessageBar intent="error">
          <MessageBarBody>{error}</MessageBarBody>
        </MessageBar>
      )}
      {config.auth.mode === "entra" ? (
        <Card>
          <Text>Sign in with your work account to see the processes shared with you.</Text>
          <Button
            appearance="primary"
            disabled={busy}
            onClick={() => {
              const auth = config.auth;
              if (auth.mode === "entra") run(() => entraSession(auth, true));
            }}
          >
            Sign in with Microsoft
          </Button>
        </Card>
      ) : (
        <>
          <Text>Local development: choose a dev user. Tokens come from the dev identity provider.</Text>
          <ul className={styles.users} aria-label="Dev users">
            {config.auth.users.map((user) => (
              <li key={user.alias} style={{ listStyle: "none" }}>
                <Card>
                  <div className={styles.user}>
                    <Persona
                      name={user.displayName}
                      secondaryText={user.email}
                      avatar={{ color: "colorful" }}
                    />
                    <div className={styles.badges}>
                      {user.userType === "Guest" && (
                        <Badge appearance="tint" color="warning">
                          Guest
                        </Badge>
                      )}
                      {user.appRoles.map((role) => (
                        <Badge key={role} appearance="tint" color="informative">
                          {role}
                        </Badge>
                      ))}
                      <Button
                        appearance="primary"
                        disabled={busy}
                        aria-label={`Sign in as ${user.displayName}`}
                        onClick={() => {
                          run(() => devSignIn(config.apiBaseUrl, user));
                        }}
                      >
                        Sign in
                      </Button>
                    </div>
                  </div>
                </Card>
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}
