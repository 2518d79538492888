#!/usr/bin/env bash
# The API's Microsoft Entra app registration, with the Azure CLI (`az login` as someone who may
# create app registrations; admin consent needs a Privileged Role Administrator or Global Administrator).
#
#   scripts/entra-app-registration.sh register [display-name]
#       Creates (or updates) the registration: identifier URI api://<appId>, delegated scope
#       Process.ReadWrite, app roles Process.Admin and Process.Share.All, the Azure CLI
#       pre-authorized for the scope, Microsoft Graph Directory.Read.All (application) with admin
#       consent. Prints the values azd needs and sets them in the current azd environment.
#
#   scripts/entra-app-registration.sh federate <appId> <managed-identity-principal-id>
#       After `azd provision`: lets the function app's managed identity sign in to Graph as the
#       registration (a federated identity credential), so no secret exists anywhere.
#
#   scripts/entra-app-registration.sh assign-role <appId> <user-object-id> <Process.Admin|Process.Share.All>
#       Gives a user one of the API's app roles.
#
#   scripts/entra-app-registration.sh spa <apiAppId> <redirect-uri>... [--name display-name]
#       The web front end's registration (a single-page application): the SPA redirect URIs (the
#       Static Web App's URL, say, and http://localhost:3000), the API's delegated scope as its only
#       permission, pre-authorized on the API so that users get no consent prompt. Sets WEB_CLIENT_ID.
set -euo pipefail

GRAPH_APP_ID=00000003-0000-0000-c000-000000000000         # Microsoft Graph
DIRECTORY_READ_ALL=7ab1d382-f21e-4acd-a863-ba3e13f7da61   # Directory.Read.All, application permission
AZURE_CLI_APP_ID=04b07795-8ddb-461a-bbee-02f9e1bf7b46     # Azure CLI, for `az account get-access-token`
SCOPE_NAME=Process.ReadWrite

die() { echo "entra-app-registration: $*" >&2; exit 1; }
new_uuid() {
  if command -v uuidgen >/dev/null; then uuidgen | tr '[:upper:]' '[:lower:]'; else python3 -c 'import uuid; print(uuid.uuid4())'; fi
}

# An existing id is kept, so that tokens and role assignments survive a re-run.
existing_id() { # <appId> <jmespath>
  az ad app show --id "$1" --query "$2" -o tsv 2>/dev/null || true
}

register() {
  local name="${1:-Process Sharing API}"
  command -v az >/dev/null || die "the Azure CLI (az) is not installed"
  local tenant app_id object_id
  tenant=$(az account show --query tenantId -o tsv)

  app_id=$(az ad app list --display-name "$name" --query "[0].appId" -o tsv)
  if [[ -z "$app_id" ]]; then
    app_id=$(az ad app create --display-name "$name" --sign-in-audience AzureADMyOrg --query appId -o tsv)
    echo "Created app registration '$name' ($app_id)."
  else
    echo "Updating app registration '$name' ($app_id)."
  fi
  object_id=$(az ad app show --id "$app_id" --query id -o tsv)

  local scope_id admin_id share_id
  scope_id=$(existing_id "$app_id" "api.oauth2PermissionScopes[?value=='$SCOPE_NAME'].id | [0]")
  admin_id=$(existing_id "$app_id" "appRoles[?value=='Process.Admin'].id | [0]")
  share_id=$(existing_id "$app_id" "appRoles[?value=='Process.Share.All'].id | [0]")
  scope_id=${scope_id:-$(new_uuid)}
  admin_id=${admin_id:-$(new_uuid)}
  share_id=${share_id:-$(new_uuid)}

  # One PATCH through Microsoft Graph: the identifier URI, v2 tokens, the scope and the app roles.
  # Pre-authorization is a second PATCH, because it may only name a scope that already exists.
  az rest --method PATCH --url "https://graph.microsoft.com/v1.0/applications/$object_id" \
    --headers "Content-Type=application/json" --body "$(cat <<JSON
{
  "identifierUris": ["api://$app_id"],
  "api": {
    "requestedAccessTokenVersion": 2,
    "oauth2PermissionScopes": [{
      "id": "$scope_id",
      "value": "$SCOPE_NAME",
      "type": "User",
      "isEnabled": true,
      "adminConsentDisplayName": "Read, change and share processes",
      "adminConsentDescription": "Lets the app read, change and share the processes the signed-in user can access.",
      "userConsentDisplayName": "Read, change and share your processes",
      "userConsentDescription": "Lets the app read, change and share the processes you can access."
    }]
  },
  "appRoles": [
    {
      "id": "$admin_id",
      "value": "Process.Admin",
      "displayName": "Process administrator",
      "description": "Every action on every process mining process; may share any task mining process.",
      "allowedMemberTypes": ["User"],
      "isEnabled": true
    },
    {
      "id": "$share_id",
      "value": "Process.Share.All",
      "displayName": "Share any process",
      "description": "May share any process of either kind, and nothing else from this role.",
      "allowedMemberTypes": ["User"],
      "isEnabled": true
    }
  ]
}
JSON
)"
  az rest --method PATCH --url "https://graph.microsoft.com/v1.0/applications/$object_id" \
    --headers "Content-Type=application/json" \
    --body "{\"api\": {\"preAuthorizedApplications\": [{\"appId\": \"$AZURE_CLI_APP_ID\", \"delegatedPermissionIds\": [\"$scope_id\"]}]}}"

  # The service principal: where app roles are assigned and Graph's consent is recorded.
  local sp_id
  sp_id=$(az ad sp show --id "$app_id" --query id -o tsv 2>/dev/null || az ad sp create --id "$app_id" --query id -o tsv)

  # Graph application permission for the directory (docs/graph-permissions.md), then admin consent.
  az ad app permission add --id "$app_id" --api "$GRAPH_APP_ID" --api-permissions "$DIRECTORY_READ_ALL=Role" \
    >/dev/null 2>&1 || true
  echo "Granting admin consent for Directory.Read.All (needs a Privileged Role Administrator or Global Administrator)..."
  az ad app permission admin-consent --id "$app_id"

  cat <<EOF

AUTH_TENANT_ID=$tenant
AUTH_CLIENT_ID=$app_id
AUTH_APP_ID_URI=api://$app_id
GRAPH_API_SERVICE_PRINCIPAL_ID=$sp_id
Scope: api://$app_id/$SCOPE_NAME
EOF
  if command -v azd >/dev/null && azd env get-values >/dev/null 2>&1; then
    azd env set AUTH_CLIENT_ID "$app_id"
    azd env set AUTH_APP_ID_URI "api://$app_id"
    azd env set GRAPH_API_SERVICE_PRINCIPAL_ID "$sp_id"
    echo "Set AUTH_CLIENT_ID, AUTH_APP_ID_URI and GRAPH_API_SERVICE_PRINCIPAL_ID in the azd environment."
  fi
}

federate() {
  local app_id="${1:?appId}" principal_id="${2:?managed identity principal id}" tenant
  tenant=$(az account show --query tenantId -o tsv)
  if [[ -n "$(az ad app federated-credential list --id "$app_id" --query "[?subject=='$principal_id'].id | [0]" -o tsv)" ]]; then
    echo "The managed identity $principal_id already signs in as $app_id."
    return
  fi
  az ad app federated-credential create --id "$app_id" --parameters "{
    \"name\": \"function-app-managed-identity\",
    \"issuer\": \"https://login.microsoftonline.com/$tenant/v2.0\",
    \"subject\": \"$principal_id\",
    \"audiences\": [\"api://AzureADTokenExchange\"]
  }" >/dev/null
  echo "The managed identity $principal_id now signs in to Graph as $app_id."
}

assign_role() {
  local app_id="${1:?appId}" user_id="${2:?user object id}" role="${3:?Process.Admin or Process.Share.All}"
  local sp_id role_id
  sp_id=$(az ad sp show --id "$app_id" --query id -o tsv)
  role_id=$(az ad sp show --id "$app_id" --query "appRoles[?value=='$role'].id | [0]" -o tsv)
  [[ -n "$role_id" ]] || die "the app has no role '$role'"
  az rest --method POST --url "https://graph.microsoft.com/v1.0/servicePrincipals/$sp_id/appRoleAssignedTo" \
    --headers "Content-Type=application/json" \
    --body "{\"principalId\": \"$user_id\", \"resourceId\": \"$sp_id\", \"appRoleId\": \"$role_id\"}" >/dev/null
  echo "User $user_id now holds $role."
}

spa() {
  local api_app_id="${1:?the API's appId}" name="Process Sharing Web"
  shift
  local uris=()
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --name) name="${2:?display name}"; shift 2 ;;
      *) uris+=("$1"); shift ;;
    esac
  done
  [[ ${#uris[@]} -gt 0 ]] || die "give at least one redirect URI (the web app's URL)"
  local uri
  for uri in "${uris[@]}"; do
    [[ "$uri" =~ ^https:// || "$uri" =~ ^http://localhost(:[0-9]+)?(/|$) ]] || die "$uri: redirect URIs are https, or http://localhost"
  done

  local scope_id api_object_id web_id web_object_id
  scope_id=$(existing_id "$api_app_id" "api.oauth2PermissionScopes[?value=='$SCOPE_NAME'].id | [0]")
  [[ -n "$scope_id" ]] || die "the API $api_app_id has no scope $SCOPE_NAME: run register first"
  api_object_id=$(az ad app show --id "$api_app_id" --query id -o tsv)

  web_id=$(az ad app list --display-name "$name" --query "[0].appId" -o tsv)
  if [[ -z "$web_id" ]]; then
    web_id=$(az ad app create --display-name "$name" --sign-in-audience AzureADMyOrg --query appId -o tsv)
    echo "Created app registration '$name' ($web_id)."
  else
    echo "Updating app registration '$name' ($web_id)."
  fi
  web_object_id=$(az ad app show --id "$web_id" --query id -o tsv)
  az ad sp show --id "$web_id" >/dev/null 2>&1 || az ad sp create --id "$web_id" >/dev/null

  # SPA platform (auth code + PKCE, no secret), and the API's scope as its one permission.
  local redirects
  redirects=$(printf '"%s",' "${uris[@]}")
  az rest --method PATCH --url "https://graph.microsoft.com/v1.0/applications/$web_object_id" \
    --headers "Content-Type=application/json" --body "{
      \"spa\": {\"redirectUris\": [${redirects%,}]},
      \"requiredResourceAccess\": [{\"resourceAppId\": \"$api_app_id\",
        \"resourceAccess\": [{\"id\": \"$scope_id\", \"type\": \"Scope\"}]}]
    }"

  # Pre-authorize the SPA on the API beside the Azure CLI: the scope needs no consent prompt.
  az rest --method PATCH --url "https://graph.microsoft.com/v1.0/applications/$api_object_id" \
    --headers "Content-Type=application/json" \
    --body "{\"api\": {\"preAuthorizedApplications\": [
      {\"appId\": \"$AZURE_CLI_APP_ID\", \"delegatedPermissionIds\": [\"$scope_id\"]},
      {\"appId\": \"$web_id\", \"delegatedPermissionIds\": [\"$scope_id\"]}]}}"

  echo
  echo "WEB_CLIENT_ID=$web_id"
  echo "Redirect URIs: ${uris[*]}"
  if command -v azd >/dev/null && azd env get-values >/dev/null 2>&1; then
    azd env set WEB_CLIENT_ID "$web_id"
    echo "Set WEB_CLIENT_ID in the azd environment."
  fi
}

case "${1:-}" in
  register) shift; register "$@" ;;
  federate) shift; federate "$@" ;;
  assign-role) shift; assign_role "$@" ;;
  spa) shift; spa "$@" ;;
  *) sed -n '2,21p' "$0"; exit 2 ;;
esac
