#!/bin/sh
# azd postprovision hook: gives the function app its PAGING_TOKEN_KEY (the key that seals
# continuation tokens) once, generated here and never written to the repo or to infra/.
# The app refuses to start in Azure without it; an existing key is kept, so tokens survive deploys.
set -eu
app="${AZURE_FUNCTION_APP_NAME:?run through azd}"
group="${AZURE_RESOURCE_GROUP:?run through azd}"
existing=$(az functionapp config appsettings list -n "$app" -g "$group" \
  --query "[?name=='PAGING_TOKEN_KEY'].value | [0]" -o tsv)
if [ -z "$existing" ]; then
  az functionapp config appsettings set -n "$app" -g "$group" \
    --settings "PAGING_TOKEN_KEY=$(openssl rand -base64 32)" --output none
  echo "PAGING_TOKEN_KEY set on $app"
fi
