<#
.SYNOPSIS
    PSUdp's build tasks for Invoke-Build; run them through ../build.ps1.
#>
param(
    [string] $Configuration = 'Release',
    [string] $PesterPath
)

Set-StrictMode -Version Latest

$Root = Split-Path $PSScriptRoot
$ModuleName = 'PSUdp'
$Version = ([xml](Get-Content -Raw "$Root/Directory.Build.props")).Project.PropertyGroup.ModuleVersion | Where-Object { $_ } | Select-Object -First 1
$Output = "$Root/output"
$ModuleOut = "$Output/$ModuleName/$Version"
$ResultsDir = "$Output/TestResults"
$script:UnitCounts = $null
$script:PesterCounts = $null
$script:WindowsCounts = $null

# The pwsh that runs this build, as a command line: 'dotnet pwsh.dll' for the local tool.
function Get-PwshCommand {
    $process = [Environment]::ProcessPath
    if ([IO.Path]::GetFileNameWithoutExtension($process) -eq 'dotnet') { @($process, "$PSHOME/pwsh.dll") } else { @($process) }
}

# Runs a script in a fresh pwsh whose module path holds only the built module and PowerShell's own.
function Invoke-FreshPwsh([string] $File, [string[]] $Arguments = @()) {
    $pwsh = @(Get-PwshCommand)
    $saved = $env:PSModulePath
    try {
        $env:PSModulePath = "$Output$([IO.Path]::PathSeparator)$PSHOME/Modules"
        $rest = @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', $File) + $Arguments
        & $pwsh[0] @rest | Out-Host
        $LASTEXITCODE
    }
    finally {
        $env:PSModulePath = $saved
    }
}

# Synopsis: Remove output/ and the projects' build folders.
task Clean {
    remove "$Output", "$Root/src/PSUdp/bin", "$Root/src/PSUdp/obj", "$Root/tests/Unit/bin", "$Root/tests/Unit/obj"
}

# Synopsis: Compile the module in the chosen configuration.
task Compile {
    exec { dotnet build "$Root/src/PSUdp/PSUdp.csproj" -c $Configuration --nologo -v quiet }
}

# Synopsis: Turn docs/en-US into MAML and about help; fails when the pages or the converter are missing.
task Help {
    # A module without help would pass every other task, so a missing piece stops the build here.
    assert (Test-Path "$Root/tools/MarkdownHelp.psm1") "tools/MarkdownHelp.psm1 is missing: the help cannot be built."
    $pages = @(Get-ChildItem "$Root/docs/en-US" -Filter '*-*.md' -ErrorAction SilentlyContinue)
    assert ($pages.Count -gt 0) "docs/en-US has no cmdlet pages (*-*.md): the help cannot be built."
    Import-Module "$Root/tools/MarkdownHelp.psm1" -Force
    New-Item -ItemType Directory -Force "$ModuleOut/en-US" | Out-Null
    ConvertTo-MamlHelp -Path "$Root/docs/en-US" -OutputPath "$ModuleOut/en-US/$ModuleName.dll-Help.xml"
    foreach ($about in Get-ChildItem "$Root/docs/en-US" -Filter 'about_*.md') {
        ConvertTo-AboutHelp -Path $about.FullName -OutputPath "$ModuleOut/en-US/$($about.BaseName).help.txt"
    }
}

# Synopsis: Assemble output/PSUdp/<version>/: manifest with the version poured in, dll, format file, help.
task Assemble Compile, {
    remove "$Output/$ModuleName"
    New-Item -ItemType Directory -Force $ModuleOut | Out-Null
    $bin = "$Root/src/PSUdp/bin/$Configuration/netstandard2.0"
    Copy-Item "$bin/$ModuleName.dll", "$bin/$ModuleName.xml", "$Root/src/PSUdp/$ModuleName.Format.ps1xml" $ModuleOut
    (Get-Content -Raw "$Root/$ModuleName.psd1") -replace "ModuleVersion(\s*)=(\s*)'[^']*'", "ModuleVersion`$1=`$2'$Version'" |
        Set-Content -NoNewline "$ModuleOut/$ModuleName.psd1"
    Test-ModuleManifest "$ModuleOut/$ModuleName.psd1" | Out-Null
    print Green "Module assembled in $ModuleOut"
}, Help

# Synopsis: Run the loopback demo against the built module in a fresh pwsh.
task Demo Assemble, {
    $code = Invoke-FreshPwsh "$Root/tools/Demo.ps1"
    if ($code) { throw "The demo failed with exit code $code." }
}

# Synopsis: Package the module as a .nupkg that Install-PSResource installs from a file repository.
task Package Assemble, {
    remove "$Output/$ModuleName.*.nupkg"
    Compress-PSResource -Path $ModuleOut -DestinationPath $Output
    print Green "Packaged $(Get-ChildItem "$Output/$ModuleName.*.nupkg")"
}

# Synopsis: Run the xunit engine tests; their counts go to the summary.
task UnitTest {
    remove "$ResultsDir/unit.trx"
    dotnet test "$Root/tests/Unit/PSUdp.Tests.csproj" -c $Configuration --nologo `
        --logger 'trx;LogFileName=unit.trx' --logger 'console;verbosity=normal' --results-directory $ResultsDir
    $trx = "$ResultsDir/unit.trx"
    if (Test-Path $trx) {
        $counters = ([xml](Get-Content -Raw $trx)).TestRun.ResultSummary.Counters
        $script:UnitCounts = @{ Passed = [int]$counters.passed; Failed = [int]$counters.failed + [int]$counters.error + [int]$counters.timeout; Skipped = [int]$counters.notExecuted }
    }
    else {
        $script:UnitCounts = @{ Passed = 0; Failed = 1; Skipped = 0 }
    }
}

# Runs Pester files in a fresh pwsh and adds their counts to the summary's.
function Invoke-PesterRun([string] $Name, [string[]] $Path) {
    $json = "$ResultsDir/$Name.json"
    remove $json
    New-Item -ItemType Directory -Force $ResultsDir | Out-Null
    Invoke-FreshPwsh "$Root/tools/Invoke-PesterTests.ps1" @('-PesterPath', $PesterPath, '-TestPath', ($Path -join ','), '-ResultPath', $json) | Out-Null
    $counts = if (Test-Path $json) { Get-Content -Raw $json | ConvertFrom-Json -AsHashtable } else { @{ Passed = 0; Failed = 1; Skipped = 0 } }
    if ($null -eq $script:PesterCounts) { $script:PesterCounts = @{ Passed = 0; Failed = 0; Skipped = 0 } }
    foreach ($key in 'Passed', 'Failed', 'Skipped') { $script:PesterCounts[$key] += $counts[$key] }
}

# The files whose code differs between the Linux paths and the portable ones: they run on both.
$PortableTestFiles = 'Receive-UdpDatagram', 'Start-UdpEcho', 'Faults' | ForEach-Object { "$Root/tests/Pester/$_.Tests.ps1" }

# Synopsis: Run the Pester tests in a fresh pwsh against the built module; counts go to the summary.
task PesterTest {
    Invoke-PesterRun 'pester' "$Root/tests/Pester"
}

# Synopsis: Run the listener, echo and fault Pester files again on the portable paths (PSUDP_FORCE_PORTABLE=1).
task PortablePesterTest {
    $saved = $env:PSUDP_FORCE_PORTABLE
    try {
        $env:PSUDP_FORCE_PORTABLE = '1'
        Invoke-PesterRun 'pester-portable' $PortableTestFiles
    }
    finally {
        $env:PSUDP_FORCE_PORTABLE = $saved
    }
}

# The Windows lane: the files that need no namespaces, run by Windows PowerShell's code paths under
# Wine. What fails there only by Wine's faults or a peer Wine lacks is skipped, with the reason
# (tests/Pester/PSUdpTestUtilities.psm1: Get-WineSkipReason). Export-UdpDatagram is not among them:
# its BeforeAll needs python3.
$WindowsTestFiles = 'Faults', 'Receive-UdpDatagram', 'BadInput', 'Start-UdpEcho', 'Send-UdpDatagram', 'Test-UdpConnection', 'Import-UdpDatagram', 'Help'
$Wine = '/usr/lib/wine/wine64'
# A file that hangs the host (it cannot survive some failures) fails after this long.
$WindowsFileTimeoutSeconds = 300

# A Linux path as Wine's Z: drive shows it.
function ConvertTo-WinePath([string] $Path) { 'Z:' + ([IO.Path]::GetFullPath($Path) -replace '/', '\') }

# Synopsis: Run the Windows lane: Pester under tests/WindowsHost on Wine, one host process per file; counts go to the summary.
task WindowsPesterTest {
    $script:WindowsCounts = @{ Passed = 0; Failed = 0; Skipped = 0 }
    if (-not (Test-Path $Wine)) {
        Write-Host "Windows lane not run: $Wine is missing (Debian's wine64 package); its $($WindowsTestFiles.Count) files count as skipped."
        $script:WindowsCounts.Skipped = $WindowsTestFiles.Count
        return
    }
    exec { dotnet publish "$Root/tests/WindowsHost/WindowsHost.csproj" -c Release -o "$Output/windows-host" --nologo -v quiet }
    New-Item -ItemType Directory -Force $ResultsDir | Out-Null
    $threadJob = "$PSHOME/../win/Modules/Microsoft.PowerShell.ThreadJob/Microsoft.PowerShell.ThreadJob.psd1"
    $variables = @{
        # A prefix of the build's own: a clean clone makes it at the first start (tens of seconds).
        WINEPREFIX = "$Output/wine-prefix"
        WINEDEBUG = '-all'
        # No prompt to install Gecko; .NET's W^X mappings do not work under Wine 8.
        WINEDLLOVERRIDES = 'mshtml='
        DOTNET_EnableWriteXorExecute = '0'
        PSModulePath = ConvertTo-WinePath $Output
    }
    $saved = @{}
    foreach ($name in $variables.Keys) { $saved[$name] = [Environment]::GetEnvironmentVariable($name); [Environment]::SetEnvironmentVariable($name, $variables[$name]) }
    try {
        foreach ($file in $WindowsTestFiles) {
            $log = "$ResultsDir/windows-$file.log"
            print Cyan "Windows lane: $file"
            & timeout -k 10 $WindowsFileTimeoutSeconds $Wine "$Output/windows-host/WindowsHost.exe" "$Root/tests/WindowsHost/Invoke-WindowsPester.ps1" `
                -PesterPath (ConvertTo-WinePath $PesterPath) -TestPath (ConvertTo-WinePath "$Root/tests/Pester/$file.Tests.ps1") `
                -ImportModule (ConvertTo-WinePath $threadJob) 2>&1 | Tee-Object -FilePath $log | Out-Host
            $code = $LASTEXITCODE
            $line = Select-String -Path $log -Pattern '^PESTER-COUNTS ' | Select-Object -Last 1
            if (-not $line) {
                Write-Host "Windows lane: $file gave no counts (exit code $code$(if ($code -eq 124) { ", killed after $WindowsFileTimeoutSeconds s" })): one failure."
                $script:WindowsCounts.Failed++
                continue
            }
            $n = @{}
            foreach ($pair in ($line.Line -split ' ' | Select-Object -Skip 1)) { $key, $value = $pair -split '='; $n[$key] = [int]$value }
            $script:WindowsCounts.Passed += $n.passed
            $script:WindowsCounts.Failed += $n.failed + $n.failedBlocks + $n.failedContainers
            $script:WindowsCounts.Skipped += $n.skipped
        }
    }
    finally {
        foreach ($name in $saved.Keys) { [Environment]::SetEnvironmentVariable($name, $saved[$name]) }
    }
}

# Synopsis: Print one summary line per runner and fail when anything failed.
task Summary {
    $failed = 0
    foreach ($runner in @(@('Unit', $script:UnitCounts), @('Pester', $script:PesterCounts), @('Windows', $script:WindowsCounts))) {
        $name, $counts = $runner
        if ($null -eq $counts) { continue }
        $line = "${name}: $($counts.Passed) passed, $($counts.Failed) failed"
        if ($counts.Skipped) { $line += ", $($counts.Skipped) skipped" }
        Write-Host $line
        $failed += $counts.Failed
    }
    if ($failed) { throw "$failed test(s) failed." }
}

# Synopsis: Build the module and run the demo (the default).
task Build Demo

# Synopsis: Build and package the module, then run the unit and Pester tests (the portable paths too).
task Test Package, UnitTest, PesterTest, PortablePesterTest, WindowsPesterTest, Summary

# Synopsis: Assemble the module and run only the Windows lane (Pester on Wine), with its summary line.
task WindowsTest Assemble, WindowsPesterTest, Summary

task . Build
