<#
.SYNOPSIS
    Runs Pester files under the Windows host (WindowsHost.exe on Wine) and prints the counts and
    each failure's message, so they survive when the runtime dies before Pester's own report.
.EXAMPLE
    WINEDLLOVERRIDES=mshtml= DOTNET_EnableWriteXorExecute=0 WINEDEBUG=-all PSModulePath='Z:\work\wt-win\output' \
        /usr/lib/wine/wine64 output/windows-host/WindowsHost.exe tests/WindowsHost/Invoke-WindowsPester.ps1 \
        -PesterPath 'Z:\root\.nuget\packages\pester\5.7.1\tools\Pester.psd1' \
        -TestPath 'Z:\work\wt-win\tests\Pester\Faults.Tests.ps1' -ResultPath 'Z:\tmp\Faults.xml' \
        -ImportModule 'Z:\root\.nuget\packages\powershell\7.6.9\tools\net10.0\any\win\Modules\Microsoft.PowerShell.ThreadJob\Microsoft.PowerShell.ThreadJob.psd1'

    One file per host process; the module path is the built output/ (PSUdp/<version>/).
#>
param(
    [Parameter(Mandatory)] [string] $PesterPath,
    # One path, or several comma-separated.
    [Parameter(Mandatory)] [string] $TestPath,
    # When given, Pester also writes its NUnit XML there.
    [string] $ResultPath,
    # Modules the SDK does not bring, imported by path (comma-separated): the tests' Start-ThreadJob
    # comes from Microsoft.PowerShell.ThreadJob, which the pinned powershell tool's package holds
    # for Windows (~/.nuget/packages/powershell/<version>/tools/net10.0/any/win/Modules/).
    [string] $ImportModule
)

$ErrorActionPreference = 'Stop'
Import-Module $PesterPath
# Pester reads the OS for its result file's <environment> with Get-CimInstance Win32_OperatingSystem.
# Under Wine (8.0) that cmdlet's type initializer throws DllNotFoundException (the SDK's
# microsoft.management.infrastructure.native.unmanaged.dll imports mi.dll, which Wine lacks), and the
# process can no longer exit, not even by [Environment]::Exit: Pester stops after writing
# <environment /> (earlier runs died there with 0xC0000005 in DynamicMethod.CreateDelegate). Neither
# System.Linq.Expressions.CanCompileToIL=false nor JIT or GC settings change that. Without the
# cmdlet Pester writes platform 'Unknown'.
& (Get-Module Pester) { $script:SafeCommands.Remove('Get-CimInstance'); $script:SafeCommands.Remove('Get-WmiObject') }

foreach ($module in @($ImportModule -split ',' | Where-Object { $_ })) { Import-Module $module -Global }

$configuration = New-PesterConfiguration
$configuration.Run.Path = @($TestPath -split ',')
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = 'Detailed'
$configuration.Should.ErrorAction = 'Continue'
if ($ResultPath) {
    $configuration.TestResult.Enabled = $true
    $configuration.TestResult.OutputPath = $ResultPath
}

# Wine lets a socket bind an address that is not on the host (Windows says WSAEADDRNOTAVAIL), so a
# test that expects Receive-UdpDatagram -LocalAddress 198.51.100.99 -Count 1 to fail would wait
# forever. A receiver without -TimeoutSeconds gives up after this long, and such a test fails
# instead of hanging the run; a test that gives -TimeoutSeconds keeps its own.
$global:PSDefaultParameterValues['Receive-UdpDatagram:TimeoutSeconds'] = 60
$global:PSDefaultParameterValues['Start-UdpEcho:TimeoutSeconds'] = 60

# The tests skip, naming the difference, what fails only by Wine's faults or a peer Wine lacks
# (tests/Pester/PSUdpTestUtilities.psm1: Get-WineSkipReason).
$env:PSUDP_UNDER_WINE = '1'
# Pester's -Skip shows no reason: say once, in the output, what the skipped tests allow for.
Import-Module (Join-Path $PSScriptRoot '../Pester/PSUdpTestUtilities.psm1')
foreach ($fault in 'NoConnReset', 'DualModeReceive', 'NonLocalBind', 'NoReceiveTtl', 'Python') { "WINE-SKIPS-WHERE: $(Get-WineSkipReason $fault)" }
Remove-Module PSUdpTestUtilities

$ErrorActionPreference = 'Continue'
$run = Invoke-Pester -Configuration $configuration
foreach ($test in $run.Failed) {
    "FAILED: $($test.ExpandedPath)"
    foreach ($e in $test.ErrorRecord) { "    $(($e.Exception.Message -split "`n")[0])" }
}
foreach ($block in @($run.FailedBlocks) + @($run.FailedContainers)) {
    if ($null -ne $block) { "FAILED BLOCK: $($block.Name) $($block.Item)"; foreach ($e in $block.ErrorRecord) { "    $(($e.Exception.Message -split "`n")[0])" } }
}
"PESTER-COUNTS passed=$($run.PassedCount) failed=$($run.FailedCount) failedBlocks=$($run.FailedBlocksCount) failedContainers=$($run.FailedContainersCount) skipped=$($run.SkippedCount)"
