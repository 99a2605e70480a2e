// Azure Communication Services Email with an Azure managed domain (DoNotReply@<guid>.azurecomm.net):
// no DNS to set up. The communication service has local (access key) auth disabled, so the app sends
// with its identity only; ACS_EMAIL_CONNECTION_STRING has nothing to hold in Azure.

param emailServiceName string
param communicationServiceName string
param dataLocation string
param tags object

resource emailService 'Microsoft.Communication/emailServices@2025-05-01' = {
  name: emailServiceName
  location: 'global'
  tags: tags
  properties: {
    dataLocation: dataLocation
  }
}

// An Azure managed domain resource must carry this name (azure-ecosystem.md §4.1).
resource domain 'Microsoft.Communication/emailServices/domains@2025-05-01' = {
  parent: emailService
  name: 'AzureManagedDomain'
  location: 'global'
  tags: tags
  properties: {
    domainManagement: 'AzureManaged'
    userEngagementTracking: 'Disabled'
  }
}

// Declared rather than assumed: whether the managed domain creates DoNotReply itself is not documented.
resource sender 'Microsoft.Communication/emailServices/domains/senderUsernames@2025-05-01' = {
  parent: domain
  name: 'donotreply'
  properties: {
    username: 'DoNotReply'
    displayName: 'coord'
  }
}

resource communicationService 'Microsoft.Communication/communicationServices@2025-05-01' = {
  name: communicationServiceName
  location: 'global'
  tags: tags
  properties: {
    dataLocation: dataLocation
    linkedDomains: [
      domain.id
    ]
    disableLocalAuth: true
  }
}

output communicationServiceName string = communicationService.name
output endpoint string = 'https://${communicationService.properties.hostName}'
// fromSenderDomain is the From domain recipients see (RFC 5322), which a sender address names;
// mailFromSenderDomain is the envelope domain (RFC 5321). Azure/bicep-types-az:
// generated/communication/microsoft.communication/2025-05-01/types.md, DomainProperties.
output senderAddress string = '${sender.properties.username}@${domain.properties.fromSenderDomain}'
