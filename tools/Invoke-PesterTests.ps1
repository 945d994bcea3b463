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
# Several paths come comma-separated (a fresh pwsh's -File takes strings).
$configuration.Run.Path = @($TestPath -split ',')
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = 'Detailed'
$configuration.TestResult.Enabled = $true
$configuration.TestResult.OutputPath = [IO.Path]::ChangeExtension($ResultPath, '.xml')
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
