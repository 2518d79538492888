import { MessageBar, MessageBarBody } from "@fluentui/react-components";

/** An API error, as the sentence it carries. */
export function ErrorBar(props: { readonly error: string | undefined }): React.JSX.Element | null {
  if (props.error === undefined) return null;
  return (
    <MessageBar intent="error" role="alert">
      <MessageBarBody>{props.error}</MessageBarBody>
    </MessageBar>
  );
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : "Something went wrong. Try again.";
}
