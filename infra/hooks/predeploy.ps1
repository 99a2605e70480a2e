# Before `azd deploy`: the package must carry coord.yaml, and its mail.from must be the address the
# Communication Services managed domain sends as (COORD_MAIL_FROM, which `azd provision` sets).
$ErrorActionPreference = 'Stop'
Set-Location (Join-Path $PSScriptRoot '../..')

if ([string]::IsNullOrEmpty($env:COORD_MAIL_FROM)) {
    Write-Error 'COORD_MAIL_FROM is empty: run azd provision (or azd up) before azd deploy.'
    exit 1
}
if (-not (Test-Path 'coord.yaml')) {
    Write-Error 'coord.yaml is missing beside function_app.py: copy coord.yaml.example, edit it, then deploy again.'
    exit 1
}
if (-not (Select-String -Path 'coord.yaml' -SimpleMatch -Quiet $env:COORD_MAIL_FROM)) {
    Write-Warning "coord.yaml's mail.from is not $($env:COORD_MAIL_FROM); Communication Services sends only as that address."
}
