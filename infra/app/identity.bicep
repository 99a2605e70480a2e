// The one identity coord runs as: host storage, deployment package, state tables, Key Vault references,
// email and telemetry all authenticate with it. User-assigned, so its roles exist before the app starts.

param name string
param location string
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output name string = identity.name
output clientId string = identity.properties.clientId
output principalId string = identity.properties.principalId
