<#
.SYNOPSIS
    A short tour of PSUdp on loopback, run by 'build.ps1' against the freshly built module.
#>
$ErrorActionPreference = 'Stop'
Import-Module PSUdp

function Show([string] $Title) { Write-Host "`n== $Title" -ForegroundColor Cyan }

Show 'A receiver job on port 0: the system picks a free port, and the job shows it'
$job = Receive-UdpDatagram -Port 0 -Count 3 -AsJob
$job | Format-Table Id, Name, State, Location, LocalPort | Out-Host

Show "Three datagrams sent to 127.0.0.1:$($job.LocalPort) over one socket"
'Hello from PSUdp', '请输入要发送的数据', 'PSUdp speaks UTF-8 ✓' |
    Send-UdpDatagram -ComputerName 127.0.0.1 -Port $job.LocalPort -PassThru |
    Format-Table -AutoSize | Out-String -Width 160 | Out-Host

Show 'What the receiver got, as objects'
$received = $job | Wait-Job -Timeout 10 | Receive-Job
$job | Remove-Job
$received | Format-Table -AutoSize | Out-String -Width 160 | Out-Host

Show 'The same objects written by Export-Csv'
$csv = Join-Path ([IO.Path]::GetTempPath()) "psudp-demo-$PID.csv"
try {
    $received | Export-Csv -Path $csv
    Get-Content $csv | Out-Host
}
finally {
    Remove-Item $csv -ErrorAction Ignore
}

Show 'An echo server job on port 0 answering a -WaitForReply probe'
$echo = Start-UdpEcho -Port 0 -AsJob
Send-UdpDatagram -ComputerName 127.0.0.1 -Port $echo.LocalPort -Message 'ping' -WaitForReply |
    Format-Table -AutoSize | Out-String -Width 160 | Out-Host
$echo | Remove-Job -Force

Show 'A broadcast on loopback (127.255.255.255), collected by a receiver job'
$listener = Receive-UdpDatagram -Port 0 -Count 1 -AsJob
Send-UdpBroadcast -Port $listener.LocalPort -BroadcastAddress 127.255.255.255 -Message 'hello, everyone'
$broadcast = $listener | Wait-Job -Timeout 10 | Receive-Job
$listener | Remove-Job
$broadcast | Format-Table -AutoSize | Out-String -Width 160 | Out-Host

if (@($received).Count -ne 3) { throw "The demo expected 3 datagrams and received $(@($received).Count)." }
if (-not $broadcast) { throw 'The demo expected the loopback broadcast to arrive.' }
