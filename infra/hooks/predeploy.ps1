# Before `azd deploy`: the package must carry coord.yaml, and its mail.from must be the address the
# Communication Services managed domain sends as.
$ErrorActionPreference = 'Stop'

if (-not (Test-Path 'coord.yaml')) {
    Write-Error 'coord.yaml is missing beside function_app.py: copy coord.yaml.example, edit it, then deploy again.'
    exit 1
}
if (-not (Select-String -Path 'coord.yaml' -SimpleMatch -Quiet $env:COORD_MAIL_FROM)) {
    Write-Warning "coord.yaml's mail.from is not $($env:COORD_MAIL_FROM); Communication Services sends only as that address."
}
