// coord on Azure: a Flex Consumption Function App that reaches everything with one user-assigned
// identity, no shared keys and no secrets outside Key Vault. `azd up` deploys it (see docs/deploy.md).
//
// The layout follows Microsoft's Flex Consumption Python quickstart (functions-quickstart-python-http-azd):
// subscription scope, a resource group, an identity, a plan, the app, storage, monitoring and an RBAC
// module, with azd's environment feeding main.parameters.json. Unlike the quickstart, every resource is
// declared with plain `resource` blocks rather than Azure Verified Modules (br/public:...): the whole
// deployment is readable in this folder, `az bicep build` needs no registry access, and
// tests/infra holds these files to the code by reading them as text, which a module hidden behind a
// registry reference would defeat.

targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; it seeds the unique suffix of every resource name.')
param environmentName string

@minLength(1)
@description('Region of every regional resource. Flex Consumption runs only in these regions.')
@allowed([
  'australiaeast'
  'australiasoutheast'
  'brazilsouth'
  'canadacentral'
  'centralindia'
  'centralus'
  'eastasia'
  'eastus'
  'eastus2'
  'francecentral'
  'germanywestcentral'
  'italynorth'
  'japaneast'
  'koreacentral'
  'northcentralus'
  'northeurope'
  'norwayeast'
  'southafricanorth'
  'southcentralus'
  'southeastasia'
  'southindia'
  'spaincentral'
  'swedencentral'
  'uaenorth'
  'uksouth'
  'ukwest'
  'westcentralus'
  'westeurope'
  'westus'
  'westus2'
  'westus3'
])
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Object id of the person or pipeline running azd; gets rights to set the Key Vault secrets and read the state tables. Empty: none.')
param principalId string = ''

@minLength(1)
@description('Base URL of the Octopus Server coord coordinates, e.g. https://octopus.example.com (OCTOPUS_SERVER_URL).')
param octopusServerUrl string

@description('Octopus space name or id (OCTOPUS_SPACE). Empty: the server\'s default space.')
param octopusSpace string = ''

@secure()
@description('Octopus API key. Empty (the default): the octopus-api-key secret is left as it is in Key Vault, where docs/deploy.md has you put it.')
param octopusApiKey string = ''

@secure()
@minLength(12)
@description('Value Octopus subscriptions send in the X-Coord-Secret header. A new GUID on every run, but written to Key Vault only when this azd environment has not provisioned the vault yet (provisionedKeyVaultName), so it is made once and kept.')
param webhookSecret string = newGuid()

// Provisioning reads nothing from Key Vault: a colleague or a pipeline without a Key Vault data role can
// run `azd provision` against an existing environment (docs/deploy.md, "Roles the deployer needs").
@description('The vault an earlier provision of this azd environment created (azd keeps the AZURE_KEY_VAULT_NAME output); empty on the first provision.')
param provisionedKeyVaultName string = ''

@description('NCRONTAB schedule (six fields, UTC) of the tick timer (COORD_TICK_SCHEDULE).')
param tickSchedule string = '0 * * * * *'

@description('Prefix of every table coord creates (COORD_TABLE_PREFIX): letters and digits.')
param tablePrefix string = 'coord'

@minValue(0)
@description('Days of history the first poll reads (COORD_BACKFILL_DAYS).')
param backfillDays int = 7

@description('Memory of each Flex Consumption instance, in MB; billing is per GB-second of this size.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

// 40 is the lowest maximum Flex Consumption accepts (flex-consumption-plan.md); coord needs one instance.
@minValue(40)
@maxValue(1000)
@description('Most instances the app may scale out to.')
param maximumInstanceCount int = 40

@minLength(3)
@description('Email addresses, comma-separated, that Azure Monitor writes to when the tick keeps failing or stops running: the operators, usually those of notify.promotions.to in coord.yaml.')
param alertEmails string

// The aggregation periods the portal offers for log search alerts, from 15 minutes up.
@allowed([
  15
  30
  45
  60
  120
  180
  240
  360
])
@description('Minutes without a successful tick before the operators are emailed; at least three intervals of tickSchedule.')
param alertAfterMinutes int = 15

@description('Where Communication Services keeps email data at rest, e.g. United States, Europe, UK.')
param emailDataLocation string = 'United States'

@description('Turn on Key Vault purge protection. It cannot be turned off again, and a deleted vault then blocks its name for the soft-delete period.')
param keyVaultPurgeProtection bool = true

@minValue(30)
@maxValue(730)
@description('Days Log Analytics keeps logs; 30 is included in the ingestion price.')
param logRetentionDays int = 30

var abbrs = loadJsonContent('./abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var functionAppName = '${abbrs.webSitesFunctions}coord-${resourceToken}'
// The deployment container holds the zip package azd uploads (Flex Consumption deploys from blob).
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(resourceToken, 7)}'
// Names of the Key Vault secrets; docs/deploy.md names them in its commands.
var octopusApiKeySecretName = 'octopus-api-key'
var webhookSecretName = 'coord-webhook-secret'
var keyVaultName = '${abbrs.keyVaultVaults}${resourceToken}'

resource rg 'Microsoft.Resources/resourceGroups@2025-04-01' = {
  name: '${abbrs.resourcesResourceGroups}${environmentName}'
  location: location
  tags: tags
}

module identity 'app/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}coord-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    applicationInsightsName: '${abbrs.insightsComponents}${resourceToken}'
    location: location
    tags: tags
    retentionInDays: logRetentionDays
  }
}

module alerts 'app/alerts.bicep' = {
  name: 'alerts'
  scope: rg
  params: {
    location: location
    tags: tags
    actionGroupName: '${abbrs.insightsActionGroups}coord-${resourceToken}'
    ruleNamePrefix: '${abbrs.insightsScheduledQueryRules}coord-${resourceToken}-'
    applicationInsightsId: monitoring.outputs.applicationInsightsId
    alertEmails: alertEmails
    windowMinutes: alertAfterMinutes
    // The timer function of function_app.py; tests/infra/test_alerts.py holds the two together.
    functionName: 'tick'
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: '${abbrs.storageStorageAccounts}${resourceToken}'
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
  }
}

module keyVault 'app/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    name: keyVaultName
    location: location
    tags: tags
    purgeProtection: keyVaultPurgeProtection
    octopusApiKeySecretName: octopusApiKeySecretName
    octopusApiKey: octopusApiKey
    webhookSecretName: webhookSecretName
    webhookSecret: webhookSecret
    writeWebhookSecret: provisionedKeyVaultName != keyVaultName
  }
}

module email 'app/email.bicep' = {
  name: 'email'
  scope: rg
  params: {
    emailServiceName: '${abbrs.communicationEmailServices}${resourceToken}'
    communicationServiceName: '${abbrs.communicationServices}${resourceToken}'
    dataLocation: emailDataLocation
    tags: tags
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    appPrincipalId: identity.outputs.principalId
    userPrincipalId: principalId
    storageAccountName: storage.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    keyVaultName: keyVault.outputs.name
    communicationServiceName: email.outputs.communicationServiceName
  }
}

module functionApp 'app/function-app.bicep' = {
  name: 'function-app'
  scope: rg
  params: {
    name: functionAppName
    planName: '${abbrs.webServerFarms}${resourceToken}'
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    blobEndpoint: storage.outputs.blobEndpoint
    tableEndpoint: storage.outputs.tableEndpoint
    deploymentContainerName: deploymentContainerName
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    keyVaultName: keyVault.outputs.name
    octopusApiKeySecretName: octopusApiKeySecretName
    webhookSecretName: webhookSecretName
    emailEndpoint: email.outputs.endpoint
    octopusServerUrl: octopusServerUrl
    octopusSpace: octopusSpace
    tickSchedule: tickSchedule
    tablePrefix: tablePrefix
    backfillDays: backfillDays
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
  }
  // The app starts as soon as it exists: its identity should already hold the roles it needs for host
  // storage and the Key Vault references, or they resolve to nothing until the next restart.
  dependsOn: [
    rbac
  ]
}

// Outputs land in azd's environment (.azure/<env>/.env) and in deployment history: names and URLs only.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_NAME string = functionApp.outputs.name
output SERVICE_API_NAME string = functionApp.outputs.name
output AZURE_FUNCTION_URL string = functionApp.outputs.url
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_APPLICATION_INSIGHTS_NAME string = monitoring.outputs.applicationInsightsName
// The URL to give an Octopus subscription, without its ?code= function key (docs/deploy.md).
output COORD_WEBHOOK_URL string = '${functionApp.outputs.url}/api/octopus/events'
// coord.yaml's mail.from must be this address: the managed domain sends only as its own senders.
output COORD_MAIL_FROM string = email.outputs.senderAddress
// The same endpoints the app uses, so `python -m coord` can run from a terminal against this deployment.
output COORD_STORAGE string = storage.outputs.tableEndpoint
output ACS_EMAIL_ENDPOINT string = email.outputs.endpoint
