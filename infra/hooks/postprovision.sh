#!/bin/sh
# After `azd provision`: the values the remaining manual steps need (docs/deploy.md).
set -eu

cat <<TEXT

coord is provisioned in ${AZURE_RESOURCE_GROUP}.
  Function App          ${AZURE_FUNCTION_URL}
  coord.yaml mail.from  ${COORD_MAIL_FROM}
  Octopus webhook URL   ${COORD_WEBHOOK_URL}?code=<function key>
  Key Vault             ${AZURE_KEY_VAULT_NAME}

If you have not yet stored the Octopus API key (docs/deploy.md, "Store the Octopus API key"):
  az keyvault secret set --vault-name ${AZURE_KEY_VAULT_NAME} --name octopus-api-key --file <file holding the key>

TEXT
