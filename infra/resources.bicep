// Everything the function app runs on, connected by one user-assigned managed identity: no key,
// connection string or secret appears in an app setting.

param location string
param tags object
param resourceToken string
param principalId string
param apiClientId string
param apiAppIdUri string
param apiServicePrincipalId string
param appBaseUrl string
param corsAllowedOrigins array
param emailDataLocation string
param staticWebAppLocation string

// The Static Web App's own origin is always allowed; APP_BASE_URL (a custom domain) too when set.
var webOrigin = 'https://${staticWebApp.properties.defaultHostname}'
var frontEndUrl = empty(appBaseUrl) ? webOrigin : appBaseUrl
var allowedOrigins = filter(union(corsAllowedOrigins, [webOrigin]), origin => !empty(origin))

// The names the code uses (shared/storage/tables.ts, shared/storage/invitationQueue.ts);
// test/infra/settings.test.ts holds these lists to the code.
var tableNames = ['Processes', 'UserProcesses', 'ProcessIndex', 'PendingInvitations', 'InvitationQuotas', 'ListRepairs', 'RoleExpiries']
var queueNames = ['invitations', 'invitations-poison']

var functionAppName = 'func-${resourceToken}'
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}'

// Built-in role definition ids.
var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  // The narrowest built-in role that lets an identity send mail; custom roles are not honoured by Communication Services.
  communicationAndEmailServiceOwner: '09976791-48a7-449e-bb21-39d1a415f350'
}

// ---- identity ---------------------------------------------------------------------------

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-func-${resourceToken}'
  location: location
  tags: tags
}

// ---- storage: host, deployment package, tables and queues ---------------------------------

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: 'st${resourceToken}'
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    defaultToOAuthAuthentication: true
    publicNetworkAccess: 'Enabled'
    networkAcls: { defaultAction: 'Allow', bypass: 'AzureServices' }
  }

  resource blobServices 'blobServices' = {
    name: 'default'
    resource deploymentContainer 'containers' = {
      name: deploymentContainerName
      properties: { publicAccess: 'None' }
    }
  }

  resource tableServices 'tableServices' = {
    name: 'default'
    resource appTables 'tables' = [for table in tableNames: { name: table }]
  }

  resource queueServices 'queueServices' = {
    name: 'default'
    resource appQueues 'queues' = [for queue in queueNames: { name: queue }]
  }
}

// ---- monitoring: Application Insights on Log Analytics, ingestion by Entra ID only ---------

module logAnalytics 'br/public:avm/res/operational-insights/workspace:0.11.1' = {
  name: 'logAnalytics'
  params: {
    name: 'log-${resourceToken}'
    location: location
    tags: tags
    dataRetention: 30
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: 'appi-${resourceToken}'
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logAnalytics.outputs.resourceId
    DisableLocalAuth: true
  }
}

// ---- email: Communication Services with an Azure-managed domain -------------------------

resource emailService 'Microsoft.Communication/emailServices@2023-04-01' = {
  name: 'ecs-${resourceToken}'
  location: 'global'
  tags: tags
  properties: { dataLocation: emailDataLocation }

  resource managedDomain 'domains' = {
    name: 'AzureManagedDomain'
    location: 'global'
    tags: tags
    properties: {
      domainManagement: 'AzureManaged'
      userEngagementTracking: 'Disabled'
    }

    resource doNotReply 'senderUsernames' = {
      name: 'donotreply'
      properties: {
        username: 'DoNotReply'
        displayName: 'Process sharing'
      }
    }
  }
}

resource communication 'Microsoft.Communication/communicationServices@2023-04-01' = {
  name: 'acs-${resourceToken}'
  location: 'global'
  tags: tags
  properties: {
    dataLocation: emailDataLocation
    linkedDomains: [emailService::managedDomain.id]
  }
}

var emailSenderAddress = 'DoNotReply@${emailService::managedDomain.properties.mailFromSenderDomain}'

// ---- the function app: Flex Consumption, Linux, Node 22 ---------------------------------

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: 'plan-${resourceToken}'
  location: location
  tags: tags
  kind: 'functionapp'
  sku: { name: 'FC1', tier: 'FlexConsumption' }
  properties: { reserved: true }
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: functionAppName
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identity.id}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identity.id
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: 2048
        maximumInstanceCount: 100
      }
      runtime: { name: 'node', version: '22' }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      // Browsers call from the front end's origin; the platform answers preflights before the app runs.
      cors: {
        allowedOrigins: allowedOrigins
        supportCredentials: false
      }
    }
  }

  resource appSettings 'config' = {
    name: 'appsettings'
    properties: {
      // The Functions host's own storage (triggers, leases), by identity.
      AzureWebJobsStorage__credential: 'managedidentity'
      AzureWebJobsStorage__clientId: identity.properties.clientId
      AzureWebJobsStorage__blobServiceUri: storage.properties.primaryEndpoints.blob
      AzureWebJobsStorage__queueServiceUri: storage.properties.primaryEndpoints.queue
      AzureWebJobsStorage__tableServiceUri: storage.properties.primaryEndpoints.table
      APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD;ClientId=${identity.properties.clientId}'
      // DefaultAzureCredential (the mail sender) picks the user-assigned identity by this.
      AZURE_CLIENT_ID: identity.properties.clientId

      // The app's tables and queues, and the queue trigger's `Storage` connection, by identity.
      Storage__credential: 'managedidentity'
      Storage__clientId: identity.properties.clientId
      Storage__tableServiceUri: storage.properties.primaryEndpoints.table
      Storage__queueServiceUri: storage.properties.primaryEndpoints.queue

      AUTH_TENANT_ID: tenant().tenantId
      AUTH_CLIENT_ID: apiClientId
      AUTH_APP_ID_URI: empty(apiAppIdUri) ? 'api://${apiClientId}' : apiAppIdUri
      AUTH_REQUIRED_SCOPE: 'Process.ReadWrite'
      AUTH_ADMIN_ROLE: 'Process.Admin'
      AUTH_SHARE_ROLE: 'Process.Share.All'
      AUTH_AUTHORITY_HOST: environment().authentication.loginEndpoint

      APP_BASE_URL: frontEndUrl
      CORS_ALLOWED_ORIGINS: join(allowedOrigins, ',')

      EMAIL_ENDPOINT: 'https://${communication.properties.hostName}/'
      EMAIL_SENDER_ADDRESS: emailSenderAddress
      INVITATION_RESEND_COOLDOWN_SECONDS: '300'
      INVITATION_SHARER_HOURLY_QUOTA: '100'

      // Graph as the API's app registration, signed in by this identity through a federated credential.
      DIRECTORY_MODE: 'graph'
      GRAPH_BASE_URL: 'https://graph.microsoft.com'
      GRAPH_CLIENT_ID: apiClientId
      GRAPH_MANAGED_IDENTITY_CLIENT_ID: identity.properties.clientId
      GRAPH_API_SERVICE_PRINCIPAL_ID: apiServicePrincipalId
      // Guests look people up by exact address only, as Entra's default guest restrictions allow.
      USERS_GUEST_SEARCH: 'exactAddress'

      RECORDINGS_MAX_PER_PROCESS: '10000'
      RECORDINGS_MAX_PER_USER: '1000'
    }
  }
}

// ---- role assignments, named with guid() so a redeploy finds the same ones ----------------

resource identityBlobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identity.id, roles.storageBlobDataOwner)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource identityQueueContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identity.id, roles.storageQueueDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource identityTableContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identity.id, roles.storageTableDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource identityMetricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, identity.id, roles.monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource identityEmailSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(communication.id, identity.id, roles.communicationAndEmailServiceOwner)
  scope: communication
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.communicationAndEmailServiceOwner)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// The person running azd may read the package container and the app's tables and queues (debugging).
resource deployerBlobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(principalId)) {
  name: guid(storage.id, principalId, roles.storageBlobDataOwner)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
    principalId: principalId
  }
}

resource deployerTableContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(principalId)) {
  name: guid(storage.id, principalId, roles.storageTableDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
    principalId: principalId
  }
}

resource deployerQueueContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(principalId)) {
  name: guid(storage.id, principalId, roles.storageQueueDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor)
    principalId: principalId
  }
}

// The web front end (web/, built to dist/web): static files only; it calls the function app from its own origin.
resource staticWebApp 'Microsoft.Web/staticSites@2024-04-01' = {
  name: 'stapp-${resourceToken}'
  location: staticWebAppLocation
  tags: union(tags, { 'azd-service-name': 'web' })
  sku: { name: 'Free', tier: 'Free' }
  properties: {
    // azd uploads the built files; no repository is linked.
    provider: 'None'
    allowConfigFileUpdates: true
  }
}

output functionAppName string = functionApp.name
output staticWebAppName string = staticWebApp.name
output webUrl string = webOrigin
output functionAppUrl string = 'https://${functionApp.properties.defaultHostName}'
output apiBaseUrl string = 'https://${functionApp.properties.defaultHostName}/api'
output identityPrincipalId string = identity.properties.principalId
output identityClientId string = identity.properties.clientId
output emailSenderAddress string = emailSenderAddress
