# coord: wait for gate (PowerShell). Waits until every project of a coord group is current and
# successful in an environment (optionally at given versions), saying what it still waits for.
$ErrorActionPreference = 'Stop'

$coordUrl = $OctopusParameters['Coord.Url']
$coordKey = $OctopusParameters['Coord.FunctionKey']
$group = $OctopusParameters['Coord.Gate.Group']
$environment = $OctopusParameters['Coord.Gate.Environment']
$versions = $OctopusParameters['Coord.Gate.Versions']
$projects = $OctopusParameters['Coord.Gate.Projects']
$exclude = $OctopusParameters['Coord.Gate.Exclude']
$timeout = $OctopusParameters['Coord.Gate.TimeoutSeconds']
$interval = $OctopusParameters['Coord.Gate.PollSeconds']

if (-not $coordUrl) { throw 'Coord.Url is not set' }
if (-not $group) { throw 'Coord.Gate.Group is not set' }
if (-not $environment) { throw 'Coord.Gate.Environment is not set' }
if ($timeout -notmatch '^\d+$') { throw "Coord.Gate.TimeoutSeconds must be a whole number of seconds, not '$timeout'" }
if ($interval -notmatch '^[1-9]\d*$') { $interval = 30 }

$uri = $coordUrl.TrimEnd('/') + '/api/gates/' + [Uri]::EscapeDataString($group) + '/' + [Uri]::EscapeDataString($environment)
$query = @()
if ($projects) { $query += 'projects=' + [Uri]::EscapeDataString($projects) }
if ($versions) { $query += 'versions=' + [Uri]::EscapeDataString($versions) }
if ($exclude) { $query += 'exclude=' + [Uri]::EscapeDataString($exclude) }
if ($query.Count -gt 0) { $uri += '?' + ($query -join '&') }
$headers = @{ 'x-functions-key' = $coordKey }
$deadline = (Get-Date).AddSeconds([int]$timeout)
$backoff = 1
$last = 'an answer from coord'
while ($true) {
    $pause = [int]$interval
    try {
        $answer = Invoke-RestMethod -Method Get -Uri $uri -Headers $headers -TimeoutSec 30
        $backoff = 1
        if ($answer.open) {
            Write-Host "Gate '$group' in '$environment' is open"
            exit 0
        }
        $names = foreach ($w in $answer.waiting_for) {
            $who = if ($w.tenant) { "$($w.project) $($w.tenant)" } else { $w.project }
            "${who}: $($w.reason)"
        }
        $last = $names -join '; '
        Write-Host "Waiting for: $last"
        foreach ($w in $answer.waiting_for) { if ($w.detail) { Write-Host "  $($w.detail)" } }
    } catch {
        $status = 0
        if ($_.Exception.Response) { $status = [int]$_.Exception.Response.StatusCode }
        $detail = ''
        if ($_.ErrorDetails -and $_.ErrorDetails.Message) {
            try { $detail = ($_.ErrorDetails.Message | ConvertFrom-Json).detail } catch { $detail = $_.ErrorDetails.Message }
        }
        if ($status -ne 0 -and $status -ne 429 -and $status -lt 500) {
            throw "coord refused the gate request ($status): $detail"
        }
        $pause = $backoff
        $backoff = [Math]::Min($backoff * 2, 30)
        Write-Host "coord answered $status ($detail); trying again in ${pause}s"
    }
    if ((Get-Date).AddSeconds($pause) -gt $deadline) {
        throw "Gate '$group' in '$environment' did not open within ${timeout}s; still waiting for: $last"
    }
    Start-Sleep -Seconds $pause
}
