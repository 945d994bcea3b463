<#
.SYNOPSIS
    Builds, demonstrates, tests and packages PSUdp.

.DESCRIPTION
    The one entry point. It fetches the build's own tools (Invoke-Build and Pester, at the versions
    pinned in tools/BuildTools.csproj) through 'dotnet restore', then runs the tasks of
    tools/PSUdp.build.ps1, which names the task order:

      Build (default)  compile in Release, assemble output/PSUdp/<version>/, run the loopback demo
      Assemble         compile and assemble output/PSUdp/<version>/ (manifest, dll, format file, help)
      Demo             Assemble, then run the loopback demo (tools/Demo.ps1) in a fresh pwsh
      Test             Build without the demo, unit tests (xunit), then Pester in a fresh pwsh: all
                       files, then the listener, echo and fault files again with PSUDP_FORCE_PORTABLE=1
                       (the receive path and socket options of systems other than Linux), then
                       the Windows lane
      WindowsTest      Assemble, then the Windows lane alone: Pester on Windows PowerShell under Wine
                       (tests/WindowsHost; /usr/lib/wine/wine64), one host process per file
      Package          a .nupkg of the module in output/
      Clean            remove output/ and the build folders

.EXAMPLE
    dotnet tool restore && dotnet pwsh ./build.ps1

.EXAMPLE
    dotnet tool restore && dotnet pwsh ./build.ps1 -Task Test
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Package', 'Clean', 'Demo', 'Assemble', 'WindowsTest')]
    [string[]] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release'
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$toolsProject = Join-Path $PSScriptRoot 'tools/BuildTools.csproj'
dotnet restore $toolsProject --verbosity quiet
if ($LASTEXITCODE) { throw "dotnet restore $toolsProject failed with exit code $LASTEXITCODE." }

# The NuGet cache holds the restored tools; tools/BuildTools.csproj names their versions.
$cache = (dotnet nuget locals global-packages --list) -replace '^global-packages:\s*', ''
$toolVersions = @{}
foreach ($package in ([xml](Get-Content -Raw $toolsProject)).Project.ItemGroup.PackageDownload) {
    $toolVersions[$package.Include] = $package.Version.Trim('[', ']')
}
$pester = Join-Path $cache "pester/$($toolVersions.Pester)/tools/Pester.psd1"
$invokeBuild = Join-Path $cache "invoke-build/$($toolVersions.'Invoke-Build')/tools/InvokeBuild.psd1"

Import-Module $invokeBuild
$result = $null
Invoke-Build -Task $Task -File (Join-Path $PSScriptRoot 'tools/PSUdp.build.ps1') -Configuration $Configuration -PesterPath $pester -Result result
exit ([int]($null -ne $result.Error))
