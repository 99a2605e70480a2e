// The Flex Consumption plan and the Function App, with every app setting coord reads in Azure.
// tests/infra/test_app_settings.py compares `appSettings` below with coord.settings.SETTING_NAMES.
//
// The settings are one `Microsoft.Web/sites/config` resource named `appsettings`, as Microsoft's
// templates write them (AVM's web/site module, which the Flex Consumption quickstarts use, does the
// same). Its `properties` may hold values known only during the deployment, such as the Application
// Insights connection string; a `for` loop building `siteConfig.appSettings` may not (BCP178).

param name string
param planName string
param location string
param tags object
param identityId string
param identityClientId string
param blobEndpoint string
param tableEndpoint string
param deploymentContainerName string
param applicationInsightsName string
param keyVaultName string
param octopusApiKeySecretName string
param webhookSecretName string
param emailEndpoint string
param octopusServerUrl string
param octopusSpace string
param tickSchedule string
param tablePrefix string
param backfillDays int
param instanceMemoryMB int
param maximumInstanceCount int

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2025-03-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

// Nothing the Flex Consumption plan rejects (FUNCTIONS_WORKER_RUNTIME, FUNCTIONS_EXTENSION_VERSION,
// WEBSITE_RUN_FROM_PACKAGE, WEBSITE_CONTENT*, WEBSITE_TIME_ZONE, TZ...): the runtime is declared in
// functionAppConfig, and timers run in UTC (azure-ecosystem.md §0.4, §3.3).
var appSettings = {
  // Host storage through the identity: no connection string exists to leak (azure-ecosystem.md §3.4).
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  AzureWebJobsStorage__blobServiceUri: blobEndpoint
  AzureWebJobsStorage__tableServiceUri: tableEndpoint
  // The connection string only locates the resource; with local auth disabled, ingestion needs the
  // identity named in the authentication string.
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  // DefaultAzureCredential in coord's own code (tables, email) picks the user-assigned identity by it.
  AZURE_CLIENT_ID: identityClientId
  OCTOPUS_SERVER_URL: octopusServerUrl
  OCTOPUS_API_KEY: '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=${octopusApiKeySecretName})'
  COORD_WEBHOOK_SECRET: '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=${webhookSecretName})'
  // A table endpoint rather than a connection string: coord then authenticates with AZURE_CLIENT_ID.
  COORD_STORAGE: tableEndpoint
  COORD_TABLE_PREFIX: tablePrefix
  ACS_EMAIL_ENDPOINT: emailEndpoint
  COORD_BACKFILL_DAYS: string(backfillDays)
  // Read by the host: function_app.py schedules the tick with %COORD_TICK_SCHEDULE%.
  COORD_TICK_SCHEDULE: tickSchedule
}

// Absent rather than empty when not given: an empty OCTOPUS_SPACE would name no space at all.
var optionalSettings = empty(octopusSpace) ? {} : { OCTOPUS_SPACE: octopusSpace }

resource site 'Microsoft.Web/sites@2025-03-01' = {
  name: name
  location: location
  // azd finds the app to deploy by this tag; the service is `api` in azure.yaml.
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientAffinityEnabled: false
    publicNetworkAccess: 'Enabled'
    // Key Vault references resolve with the user-assigned identity (there is no system identity).
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${blobEndpoint}/${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      // requirements.txt is pinned and tested on Python 3.11.
      runtime: {
        name: 'python'
        version: '3.11'
      }
    }
  }
}

// Replaces every app setting on each provision: change settings through azd (docs/deploy.md), not the portal.
resource appSettingsConfig 'Microsoft.Web/sites/config@2025-03-01' = {
  parent: site
  name: 'appsettings'
  properties: union(appSettings, optionalSettings)
}

// azd deploys with an Entra token, so the basic-auth publishing endpoints serve no one.
resource ftpPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2025-03-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2025-03-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

output name string = site.name
output url string = 'https://${site.properties.defaultHostName}'
