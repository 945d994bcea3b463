BeforeDiscovery {
    $hasPackage = [bool](Get-ChildItem (Join-Path (Split-Path (Split-Path $PSScriptRoot)) 'output') -Filter 'PSUdp.*.nupkg' -ErrorAction Ignore)
}

BeforeAll {
    Import-Module "$PSScriptRoot/PSUdpTestUtilities.psm1" -Force
    $output = Join-Path (Split-Path (Split-Path $PSScriptRoot)) 'output'
    $package = Get-ChildItem $output -Filter 'PSUdp.*.nupkg' | Select-Object -First 1
}

Describe 'the PSUdp package' {
    It 'installs from a local file repository with Install-PSResource, imports and runs' -Skip:(-not $hasPackage) {
        $repo = New-Item -ItemType Directory (Join-Path $TestDrive 'repo')
        Copy-Item $package.FullName $repo
        $home_ = New-Item -ItemType Directory (Join-Path $TestDrive 'home')
        # A second pwsh with its own HOME, so the repository and the install touch nothing of the user's.
        $script = @"
`$ErrorActionPreference = 'Stop'
Register-PSResourceRepository -Name PSUdpTest -Uri '$repo' -Trusted
Install-PSResource -Name PSUdp -Repository PSUdpTest -Scope CurrentUser -TrustRepository
`$env:PSModulePath = (Get-InstalledPSResource PSUdp).InstalledLocation + [IO.Path]::PathSeparator + `$env:PSModulePath
Import-Module PSUdp
`$m = Get-Module PSUdp
`$job = Receive-UdpDatagram -Port 0 -Count 1 -AsJob
Send-UdpDatagram 127.0.0.1 `$job.LocalPort 'installed'
`$d = `$job | Wait-Job -Timeout 10 | Receive-Job
`$job | Remove-Job
"`$(`$m.Version)|`$(`$m.ModuleBase)|`$(`$d.Text)"
"@
        $pwsh = @(Get-PwshCommand)
        $saved = $env:HOME, $env:XDG_DATA_HOME, $env:XDG_CONFIG_HOME
        try {
            $env:HOME = $home_.FullName
            $env:XDG_DATA_HOME = Join-Path $home_.FullName '.local/share'
            $env:XDG_CONFIG_HOME = Join-Path $home_.FullName '.config'
            Push-Location $home_.FullName
            $rest = @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-Command', $script)
            $result = & $pwsh[0] @rest 2>&1
        }
        finally { Pop-Location; $env:HOME, $env:XDG_DATA_HOME, $env:XDG_CONFIG_HOME = $saved }
        $line = @($result | Where-Object { "$_" -match '\|' })[-1]
        $version, $base, $text = "$line" -split '\|'
        $version | Should -Be ($package.BaseName -replace '^PSUdp\.', '')
        $base | Should -BeLike "$($home_.FullName)*"
        Get-ChildItem -Recurse -Filter PSResourceRepository.xml $home_.FullName | Should -Not -BeNullOrEmpty
        $text | Should -BeExactly 'installed'
    }

    It 'exists after the Package task' { $package | Should -Not -BeNullOrEmpty }
}
