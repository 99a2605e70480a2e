# coord: acquire lock (PowerShell). Waits in coord's queue for a named lock, first come first served,
# and sets the output variable LockToken for the "coord: release lock" step.
$ErrorActionPreference = 'Stop'

$coordUrl = $OctopusParameters['Coord.Url']
$coordKey = $OctopusParameters['Coord.FunctionKey']
$lockName = $OctopusParameters['Coord.Lock.Name']
$holder = $OctopusParameters['Coord.Lock.Holder']
$ttl = $OctopusParameters['Coord.Lock.TtlSeconds']
$timeout = $OctopusParameters['Coord.Lock.TimeoutSeconds']
$deploymentId = $OctopusParameters['Octopus.Deployment.Id']

# A request waits at most this long on the server; the loop below waits for longer.
$maxWait = 55

if (-not $coordUrl) { throw 'Coord.Url is not set' }
if (-not $lockName) { throw 'Coord.Lock.Name is not set' }
if ($ttl -notmatch '^\d+$') { throw "Coord.Lock.TtlSeconds must be a whole number of seconds, not '$ttl'" }
if ($timeout -notmatch '^\d+$') { throw "Coord.Lock.TimeoutSeconds must be a whole number of seconds, not '$timeout'" }
if (-not $holder) { $holder = "Octopus deployment $deploymentId" }
# Identifies this step of this deployment, so a retried request whose grant was lost gets it back.
$requestId = ''
if ($deploymentId) { $requestId = "$deploymentId/$($OctopusParameters['Octopus.Step.Id'])" }

$endpoint = $coordUrl.TrimEnd('/') + '/api/locks/' + [Uri]::EscapeDataString($lockName)
$headers = @{ 'x-functions-key' = $coordKey }
$deadline = (Get-Date).AddSeconds([int]$timeout)
$ticket = $null
$current = $null
$backoff = 1

function Get-Answer($errorRecord) {
    $status = 0
    if ($errorRecord.Exception.Response) { $status = [int]$errorRecord.Exception.Response.StatusCode }
    $body = $null
    if ($errorRecord.ErrorDetails -and $errorRecord.ErrorDetails.Message) {
        try { $body = $errorRecord.ErrorDetails.Message | ConvertFrom-Json } catch { $body = $null }
    }
    return @{ Status = $status; Body = $body; Response = $errorRecord.Exception.Response }
}

function Exit-Queue($queueTicket) {
    if (-not $queueTicket) { return }
    try {
        $uri = $endpoint + '?ticket=' + [Uri]::EscapeDataString($queueTicket)
        Invoke-RestMethod -Method Delete -Uri $uri -Headers $headers -TimeoutSec 15 | Out-Null
    } catch { }
}

while ($true) {
    $remaining = [int][Math]::Max(0, ($deadline - (Get-Date)).TotalSeconds)
    $wait = [Math]::Min($remaining, $maxWait)
    $request = @{ holder = $holder; ttl_seconds = [int]$ttl; wait_seconds = $wait; request_id = $requestId }
    if ($ticket) { $request.ticket = $ticket }
    $json = $request | ConvertTo-Json -Compress
    $granted = $null
    try {
        $granted = Invoke-RestMethod -Method Post -Uri $endpoint -Headers $headers -ContentType 'application/json' `
            -Body ([Text.Encoding]::UTF8.GetBytes($json)) -TimeoutSec ($wait + 30)
    } catch {
        $answer = Get-Answer $_
        if ($answer.Status -eq 409) {
            $backoff = 1
            $ticket = $answer.Body.ticket
            $current = $answer.Body.holder
            if ($current) {
                Write-Host "Waiting for lock '$lockName': held by '$current' (place in queue: $($answer.Body.position))"
            } else {
                Write-Host "Waiting for lock '$lockName' (place in queue: $($answer.Body.position))"
            }
        } elseif ($answer.Status -eq 0 -or $answer.Status -eq 429 -or $answer.Status -ge 500) {
            $pause = $backoff
            # PowerShell 7 parses Retry-After; Windows PowerShell 5.1 leaves it a plain header.
            $retryAfter = $null
            try { $retryAfter = $answer.Response.Headers.RetryAfter.Delta.TotalSeconds } catch { }
            if (-not $retryAfter) { try { $retryAfter = $answer.Response.Headers['Retry-After'] } catch { } }
            if ("$retryAfter" -match '^\d+(\.0+)?$') { $pause = [int][double]"$retryAfter" }
            if ((Get-Date).AddSeconds($pause) -ge $deadline) {
                Exit-Queue $ticket
                throw "Could not reach coord at $coordUrl before the timeout of ${timeout}s (last answer: $($answer.Status))"
            }
            Write-Host "coord answered $($answer.Status); trying again in ${pause}s"
            Start-Sleep -Seconds $pause
            $backoff = [Math]::Min($backoff * 2, 30)
            continue
        } else {
            throw "coord refused the lock request ($($answer.Status)): $($answer.Body.detail)"
        }
    }
    if ($granted) {
        if (-not $granted.token) { throw "coord granted lock '$lockName' but its answer carried no token" }
        Set-OctopusVariable -name 'LockToken' -value $granted.token
        Write-Host "Acquired lock '$lockName' for '$holder' until $($granted.expires_at)"
        exit 0
    }
    if ((Get-Date) -ge $deadline) {
        Exit-Queue $ticket
        $who = if ($current) { $current } else { 'an earlier request' }
        throw "Lock '$lockName' was not granted within ${timeout}s; it is held by '$who'"
    }
}
