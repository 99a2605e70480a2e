# coord: release lock (PowerShell). Releases the lock taken by a "coord: acquire lock" step of this
# deployment. Give this step the run condition "Always run" so that a failed deployment releases too.
$ErrorActionPreference = 'Stop'

$coordUrl = $OctopusParameters['Coord.Url']
$coordKey = $OctopusParameters['Coord.FunctionKey']
$lockName = $OctopusParameters['Coord.Lock.Name']
$acquireStep = $OctopusParameters['Coord.Lock.AcquireStep']
$token = $OctopusParameters['Coord.Lock.Token']
$timeout = $OctopusParameters['Coord.Lock.TimeoutSeconds']

if (-not $coordUrl) { throw 'Coord.Url is not set' }
if (-not $lockName) { throw 'Coord.Lock.Name is not set' }
if ($timeout -notmatch '^\d+$') { $timeout = 120 }
if (-not $token -and $acquireStep) { $token = $OctopusParameters["Octopus.Action[$acquireStep].Output.LockToken"] }
if (-not $token) {
    Write-Host "No lock token from step '$acquireStep': the lock was not taken, so there is nothing to release"
    exit 0
}

$uri = $coordUrl.TrimEnd('/') + '/api/locks/' + [Uri]::EscapeDataString($lockName) + '?token=' + [Uri]::EscapeDataString($token)
$headers = @{ 'x-functions-key' = $coordKey }
$deadline = (Get-Date).AddSeconds([int]$timeout)
$backoff = 1
while ($true) {
    try {
        Invoke-RestMethod -Method Delete -Uri $uri -Headers $headers -TimeoutSec 30 | Out-Null
        Write-Host "Released lock '$lockName'"
        exit 0
    } catch {
        $status = 0
        if ($_.Exception.Response) { $status = [int]$_.Exception.Response.StatusCode }
        $detail = ''
        if ($_.ErrorDetails -and $_.ErrorDetails.Message) {
            try { $detail = ($_.ErrorDetails.Message | ConvertFrom-Json).detail } catch { $detail = $_.ErrorDetails.Message }
        }
        if ($status -eq 404) {
            Write-Warning "Lock '$lockName' was no longer held with this token: $detail"
            exit 0
        }
        if ($status -ne 0 -and $status -ne 429 -and $status -lt 500) {
            throw "coord refused to release lock '$lockName' ($status): $detail"
        }
        if ((Get-Date).AddSeconds($backoff) -ge $deadline) {
            throw "Could not release lock '$lockName' (last answer: $status); it frees itself when its time to live ends"
        }
        Write-Host "coord answered $status; trying again in ${backoff}s"
        Start-Sleep -Seconds $backoff
        $backoff = [Math]::Min($backoff * 2, 30)
    }
}
