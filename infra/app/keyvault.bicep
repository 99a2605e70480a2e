// The vault for coord's two secrets, in RBAC mode: the app reads them through Key Vault references
// with Key Vault Secrets User, the deploying user sets them with Key Vault Secrets Officer. Public
// network access stays on because Flex Consumption cannot resolve references to a network-restricted
// vault (azure-ecosystem.md §3.3).

param name string
param location string
param tags object
param purgeProtection bool
param octopusApiKeySecretName string
param webhookSecretName string

@secure()
param octopusApiKey string

@secure()
param webhookSecret string

@description('Write webhookSecret: only on the first provision of this vault, so that a later provision keeps the value Octopus sends.')
param writeWebhookSecret bool

resource vault 'Microsoft.KeyVault/vaults@2025-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    // Both secrets can be issued again (a new Octopus API key, a new webhook value), so a week of
    // recovery is enough and a torn-down environment frees its vault name sooner.
    softDeleteRetentionInDays: 7
    // The property accepts only true or absent: purge protection can never be switched off.
    enablePurgeProtection: purgeProtection ? true : null
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

// Written only when a key is passed in: with the default empty value a later `azd provision` leaves
// the key you stored with `az keyvault secret set` untouched.
resource octopusApiKeySecret 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = if (!empty(octopusApiKey)) {
  parent: vault
  name: octopusApiKeySecretName
  properties: {
    value: octopusApiKey
    contentType: 'Octopus API key'
  }
}

// Written once, when the vault is new to this azd environment; rotating it is `az keyvault secret set`
// (docs/deploy.md), which later provisions leave alone.
resource webhookSecretValue 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = if (writeWebhookSecret) {
  parent: vault
  name: webhookSecretName
  properties: {
    value: webhookSecret
    contentType: 'X-Coord-Secret header value for Octopus subscriptions'
  }
}

output name string = vault.name
