<#
.SYNOPSIS
    Runs PSUdp's Pester tests; build.ps1 starts it in a fresh pwsh whose PSModulePath holds only the
    built module, so a binary module (which cannot be unloaded) is always the freshly built one.
#>
param(
    [Parameter(Mandatory)] [string] $PesterPath,
    [Parameter(Mandatory)] [string] $TestPath,
    [Parameter(Mandatory)] [string] $ResultPath
)

$ErrorActionPreference = 'Stop'
Import-Module $PesterPath

$configuration = New-PesterConfiguration
$configuration.Run.Path = $TestPath
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = 'Detailed'
$configuration.TestResult.Enabled = $true
$configuration.TestResult.OutputPath = Join-Path (Split-Path $ResultPath) 'pester.xml'
$configuration.Should.ErrorAction = 'Continue'

# The tests run with PowerShell's default error action, as users' scripts do.
$ErrorActionPreference = 'Continue'
$run = Invoke-Pester -Configuration $configuration
@{
    Passed  = $run.PassedCount
    # A block or file that fails in BeforeAll fails all its tests; count it, never hide it.
    Failed  = $run.FailedCount + $run.FailedBlocksCount + $run.FailedContainersCount
    Skipped = $run.SkippedCount
} | ConvertTo-Json | Set-Content $ResultPath
