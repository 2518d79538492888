import {
  Avatar,
  Button,
  FluentProvider,
  makeStyles,
  MessageBar,
  MessageBarBody,
  Spinner,
  Text,
  tokens,
  webLightTheme,
} from "@fluentui/react-components";
import { lazy, Suspense, useCallback, useEffect, useMemo, useState } from "react";

import { ApiClient } from "./api.js";
import { entraSession, forgetDevSession, restoreDevSession, type Session } from "./auth/session.js";
import { parseConfig, type WebConfig } from "./logic/config.js";
import { describeProblem } from "./logic/problems.js";
import { navigate, useRoute } from "./router.js";
import { ProcessListScreen } from "./screens/ProcessList.js";
import { SignInScreen } from "./screens/SignIn.js";

// A process's page (share panel, people picker, manage access, recordings) loads when first opened:
// the first screen needs none of it.
const ProcessDetailsScreen = lazy(async () => {
  const module = await import("./screens/ProcessDetails.js");
  return { default: module.ProcessDetailsScreen };
});

const useStyles = makeStyles({
  shell: { minHeight: "100vh", backgroundColor: tokens.colorNeutralBackground2 },
  header: {
    display: "flex",
    alignItems: "center",
    gap: tokens.spacingHorizontalM,
    height: "48px",
    padding: `0 ${tokens.spacingHorizontalL}`,
    backgroundColor: "#0f3b7a",
    color: tokens.colorNeutralForegroundOnBrand,
  },
  product: { fontWeight: tokens.fontWeightSemibold, fontSize: tokens.fontSizeBase400 },
  spacer: { flexGrow: 1 },
  headerButton: { color: tokens.colorNeutralForegroundOnBrand },
  main: { maxWidth: "1200px", margin: "0 auto", padding: tokens.spacingHorizontalXXL },
  center: { padding: "64px", display: "flex", justifyContent: "center" },
});

export function App(): React.JSX.Element {
  return (
    <FluentProvider theme={webLightTheme}>
      <Shell />
    </FluentProvider>
  );
}

function Shell(): React.JSX.Element {
  const styles = useStyles();
  const route = useRoute();
  const [config, setConfig] = useState<WebConfig>();
  const [configError, setConfigError] = useState<string>();
  const [session, setSession] = useState<Session>();
  const [checking, setChecking] = useState(true);
  const [signedOutReason, setSignedOutReason] = useState<string>();

  useEffect(() => {
    fetch("/config.json")
      .then(async (response) => {
        if (!response.ok) throw new Error(`/config.json answered ${response.status}`);
        const loaded = parseConfig(await response.json());
        setConfig(loaded);
        if (loaded.auth.mode === "dev") {
          setSession(restoreDevSession());
        } else {
          setSession(await entraSession(loaded.auth, false));
        }
      })
      .catch((error: unknown) => {
        setConfigError(error instanceof Error ? error.message : String(error));
      })
      .finally(() => {
        setChecking(false);
      });
  }, []);

  const unauthorized = useCallback(() => {
    forgetDevSession();
    setSession(undefined);
    setSignedOutReason(describeProblem({ status: 401, code: "invalid_token" }));
  }, []);

  const api = useMemo(
    () =>
      config === undefined || session === undefined
        ? undefined
        : new ApiClient({
            baseUrl: config.apiBaseUrl,
            getToken: () => session.getToken(),
            onUnauthorized: unauthorized,
          }),
    [config, session, unauthorized],
  );

  const signOut = (): void => {
    void session?.signOut();
    setSession(undefined);
    setSignedOutReason(undefined);
  };

  let content: React.JSX.Element;
  if (configError !== undefined) {
    content = (
      <MessageBar intent="error">
        <MessageBarBody>This app isn't configured: {configError}.</MessageBarBody>
      </MessageBar>
    );
  } else if (checking || config === undefined) {
    content = (
      <div className={styles.center}>
        <Spinner label="Loading" />
      </div>
    );
  } else if (session === undefined || api === undefined) {
    content = (
      <SignInScreen
        config={config}
        reason={signedOutReason}
        onSignedIn={(signedIn) => {
          setSignedOutReason(undefined);
          setSession(signedIn);
        }}
      />
    );
  } else if (route.name === "process") {
    content = (
      <Suspense fallback={<Spinner label="Loading the process" />}>
        <ProcessDetailsScreen key={route.id} api={api} processId={route.id} />
      </Suspense>
    );
  } else {
    content = <ProcessListScreen api={api} />;
  }

  return (
    <div className={styles.shell}>
      <header className={styles.header}>
        <Button
          appearance="transparent"
          className={styles.headerButton}
          onClick={() => {
            navigate({ name: "processes" });
          }}
        >
          <span className={styles.product}>Power Automate · Process mining</span>
        </Button>
        <span className={styles.spacer} />
        {session !== undefined && (
          <>
            <Avatar name={session.name} size={28} color="colorful" aria-hidden />
            <Text>{session.name}</Text>
            <Button appearance="transparent" className={styles.headerButton} onClick={signOut}>
              Sign out
            </Button>
          </>
        )}
      </header>
      <main className={styles.main}>{content}</main>
    </div>
  );
}
