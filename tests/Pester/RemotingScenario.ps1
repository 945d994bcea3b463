<#
.SYNOPSIS
    Tests a network of three hosts (a, b, c) from one console with PowerShell remoting over SSH:
    the scenario that Remoting.Tests.ps1 runs in its controller namespace, and the example in
    about_PSUdp ("TESTING A NETWORK FROM ONE CONSOLE").

.DESCRIPTION
    1. Installs PSUdp on every host from a file repository that holds the package.
    2. Starts a receiver job on b and c, sends two datagrams from a to each, and collects what
       b and c received (deserialized: Deserialized.PSUdp.UdpDatagram, with PSComputerName).
    3. Runs `Start-UdpEcho -Port 7 -Count 1` on b and c through Invoke-Command -HostName, and
       probes each from a.
    It writes what the console saw (objects' facts, the tables, timings) as JSON to -ResultPath.
    Every wait is bounded. The lines that call Step only record timings: about_PSUdp shows the
    region without them, and Remoting.Tests.ps1 checks that the two agree.
#>
param(
    # A folder (a file share for real hosts) with PSUdp.<version>.nupkg.
    [Parameter(Mandatory)] [string] $Repository,
    # The controller's private key, and the known_hosts file that holds the hosts' keys.
    [Parameter(Mandatory)] [string] $KeyFilePath,
    [Parameter(Mandatory)] [string] $KnownHostsFile,
    [int] $Port = 22,
    [Parameter(Mandatory)] [string] $ResultPath
)

$ErrorActionPreference = 'Stop'
$clock = [Diagnostics.Stopwatch]::StartNew()
$timings = [ordered]@{}
function Step([string] $Name) { $timings[$Name] = [Math]::Round($clock.Elapsed.TotalSeconds, 2) }

# The console's own PSUdp: its format file is what shows the datagrams that come back.
Import-Module PSUdp

#region the example in about_PSUdp
$ssh = @{
    UserName          = 'root'
    Port              = $Port
    KeyFilePath       = $KeyFilePath
    ConnectingTimeout = 30000
    Options           = @{ UserKnownHostsFile = $KnownHostsFile; StrictHostKeyChecking = 'yes'; IdentitiesOnly = 'yes'; BatchMode = 'yes' }
}
$sessions = New-PSSession -HostName a, b, c @ssh
Step 'Connected'
try {
    $a = $sessions | Where-Object ComputerName -EQ 'a'
    $receivers = $sessions | Where-Object ComputerName -In 'b', 'c'

    $installed = Invoke-Command -Session $sessions {
        Register-PSResourceRepository -Name PSUdpLab -Uri $using:Repository -Trusted
        Install-PSResource -Name PSUdp -Repository PSUdpLab -Scope CurrentUser -Quiet -PassThru
    }
    Step 'Installed'

    $listening = Invoke-Command -Session $receivers {
        $global:receiver = Receive-UdpDatagram -Port 5140 -Count 2 -TimeoutSeconds 60 -AsJob
        $global:receiver | Select-Object Name, Location, State
    }
    $sent = Invoke-Command -Session $a {
        'hello', 'world' | Send-UdpDatagram -ComputerName b, c -Port 5140 -PassThru
    }
    $received = Invoke-Command -Session $receivers {
        $global:receiver | Wait-Job -Timeout 30 | Receive-Job
        $global:receiver | Remove-Job -Force
    }
    $received | Sort-Object PSComputerName, Text | Format-Table
    Step 'Received'

    $echo = Invoke-Command -HostName b, c @ssh { Start-UdpEcho -Port 7 -Count 1 -TimeoutSeconds 60 } -AsJob
    $replies = Invoke-Command -Session $a {
        foreach ($target in 'b', 'c') {
            # The echo answers as soon as its remote session has started it.
            $deadline = [DateTime]::UtcNow.AddSeconds(60)
            do {
                $reply = Send-UdpDatagram -ComputerName $target -Port 7 -Message "probe $target" -WaitForReply -TimeoutSeconds 2 -ErrorAction SilentlyContinue
                if (-not $reply) { Start-Sleep -Milliseconds 200 }
            } until ($reply -or [DateTime]::UtcNow -gt $deadline)
            $reply
        }
    }
    $echoed = $echo | Wait-Job -Timeout 60 | Receive-Job
    $echo | Remove-Job -Force
    $echoed | Format-Table
    Step 'Echoed'
}
finally {
    $sessions | Remove-PSSession
}
#endregion

function Get-DatagramFact([Parameter(ValueFromPipeline)] $Datagram) {
    process {
        [ordered]@{
            TypeName      = $Datagram.PSObject.TypeNames[0]
            Host          = $Datagram.PSComputerName
            Direction     = "$($Datagram.Direction)"
            RemoteAddress = "$($Datagram.RemoteAddress)"
            RemotePort    = $Datagram.RemotePort
            LocalAddress  = "$($Datagram.LocalAddress)"
            LocalPort     = $Datagram.LocalPort
            Length        = $Datagram.Length
            Text          = $Datagram.Text
            Hex           = $Datagram.Hex
            TimestampType = if ($null -ne $Datagram.Timestamp) { $Datagram.Timestamp.GetType().FullName } else { '' }
            TimestampText = $Datagram.TimestampText
            Timestamp     = if ($Datagram.Timestamp -is [DateTimeOffset]) { $Datagram.Timestamp.ToString('o') } else { "$($Datagram.Timestamp)" }
            RoundTripTime = "$($Datagram.RoundTripTime)"
        }
    }
}

$table = { param($Objects) ($Objects | Format-Table | Out-String -Width 250) -split '\r?\n' }
[ordered]@{
    Installed = @($installed | ForEach-Object { [ordered]@{ Host = $_.PSComputerName; Name = $_.Name; Version = "$($_.Version)"; InstalledLocation = $_.InstalledLocation } })
    Listening = @($listening | ForEach-Object { [ordered]@{ Host = $_.PSComputerName; Location = $_.Location; State = "$($_.State)" } })
    Sent      = @($sent | Get-DatagramFact)
    Received  = @($received | Get-DatagramFact)
    Table     = @(& $table ($received | Sort-Object PSComputerName, Text))
    Replies   = @($replies | Get-DatagramFact)
    Echoed    = @($echoed | Get-DatagramFact)
    EchoTable = @(& $table $echoed)
    Timings   = $timings
} | ConvertTo-Json -Depth 5 | Set-Content -LiteralPath $ResultPath
