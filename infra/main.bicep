// Entry point for `azd up`: one resource group holding everything the function app needs.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; seeds the resource names.')
param environmentName string

@minLength(1)
@description('Region of every resource (Flex Consumption must be offered there).')
@metadata({ azd: { type: 'location' } })
param location string

@description('Object id of the person or pipeline running azd: gets data access to inspect storage. Empty to skip.')
param principalId string = ''

@description('Application (client) id of the API app registration (scripts/entra-app-registration.sh prints it).')
param apiClientId string

@description('Application id URI of the API; empty means api://<apiClientId>.')
param apiAppIdUri string = ''

@description('Object id of the API\'s service principal, to know who holds Process.Admin. Empty: nobody is hidden from access lists.')
param apiServicePrincipalId string = ''

@description('Where the front end lives: the links in invitation emails start with it. Empty: the Static Web App\'s own URL.')
param appBaseUrl string = ''

@description('Origins a browser may call the API from (the front end\'s origin).')
param corsAllowedOrigins array = []

@description('Region of the Static Web App (web/): offered in westus2, centralus, eastus2, westeurope and eastasia.')
param staticWebAppLocation string = 'westeurope'

@description('Where Communication Services keeps email data at rest.')
param emailDataLocation string = 'United States'

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module app 'resources.bicep' = {
  name: 'resources'
  scope: rg
  params: {
    location: location
    tags: tags
    resourceToken: resourceToken
    principalId: principalId
    apiClientId: apiClientId
    apiAppIdUri: apiAppIdUri
    apiServicePrincipalId: apiServicePrincipalId
    appBaseUrl: appBaseUrl
    corsAllowedOrigins: corsAllowedOrigins
    emailDataLocation: emailDataLocation
    staticWebAppLocation: staticWebAppLocation
  }
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = app.outputs.functionAppName
output FUNCTION_APP_URL string = app.outputs.functionAppUrl
output API_BASE_URL string = app.outputs.apiBaseUrl
output AZURE_FUNCTION_IDENTITY_PRINCIPAL_ID string = app.outputs.identityPrincipalId
output AZURE_FUNCTION_IDENTITY_CLIENT_ID string = app.outputs.identityClientId
output EMAIL_SENDER_ADDRESS string = app.outputs.emailSenderAddress
output AZURE_STATIC_WEB_APP_NAME string = app.outputs.staticWebAppName
output WEB_URL string = app.outputs.webUrl
