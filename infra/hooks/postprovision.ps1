# After `azd provision`: the values the remaining manual steps need (docs/deploy.md).
$ErrorActionPreference = 'Stop'

Write-Host @"

coord is provisioned in $($env:AZURE_RESOURCE_GROUP).
  Function App          $($env:AZURE_FUNCTION_URL)
  coord.yaml mail.from  $($env:COORD_MAIL_FROM)
  Octopus webhook URL   $($env:COORD_WEBHOOK_URL)?code=<function key>
  Key Vault             $($env:AZURE_KEY_VAULT_NAME)

If you have not yet stored the Octopus API key (docs/deploy.md, "Store the Octopus API key"):
  az keyvault secret set --vault-name $($env:AZURE_KEY_VAULT_NAME) --name octopus-api-key --file <file holding the key>

"@
