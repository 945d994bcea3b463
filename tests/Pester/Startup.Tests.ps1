# Import-Module PSUdp should cost no more than PowerShell charges any binary module with a format
# file: these tests keep PSUdp from adding its own work to the import.
BeforeAll {
    Import-Module "$PSScriptRoot/PSUdpTestUtilities.psm1" -Force
    $module = Get-Module PSUdp -ListAvailable | Sort-Object Version -Descending | Select-Object -First 1
    $manifest = Import-PowerShellDataFile $module.Path
}

Describe 'Import-Module PSUdp' {
    It 'names every export, so PowerShell resolves no wildcard' {
        $manifest.CmdletsToExport | Should -Not -BeNullOrEmpty
        $manifest.CmdletsToExport | Should -Not -Match '[*?\[]'
        foreach ($key in 'FunctionsToExport', 'AliasesToExport', 'VariablesToExport') {
            $manifest.ContainsKey($key) | Should -BeTrue -Because "a missing $key means '*'"
            @($manifest[$key]) | Should -HaveCount 0
        }
    }

    It 'asks PowerShell for nothing but the dll and the format file' {
        foreach ($key in 'ScriptsToProcess', 'TypesToProcess', 'NestedModules', 'RequiredModules', 'RequiredAssemblies') {
            $manifest.ContainsKey($key) | Should -BeFalse -Because "$key is work at every import"
        }
        @($manifest.FormatsToProcess) | Should -HaveCount 1
    }

    It 'runs none of its own code' {
        # The runtime lists every method it compiles; a PSUdp method in the list means a module
        # initializer, a static constructor or other work of PSUdp's ran during the import.
        $list = Join-Path $TestDrive 'jit.txt'
        $pwsh = @(Get-PwshCommand)
        $saved = $env:DOTNET_JitStdOutFile, $env:DOTNET_JitDisasmSummary
        try {
            $env:DOTNET_JitStdOutFile = $list
            $env:DOTNET_JitDisasmSummary = '1'
            $rest = @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-Command', 'Import-Module PSUdp -ErrorAction Stop')
            # The runtime's method listing has crashed the process (SIGABRT/SIGSEGV, exit 134/139)
            # on a loaded machine before PSUdp was even loaded; such a run says nothing about the
            # import, so it is run again (three tries at most). Any other exit code fails at once.
            for ($try = 1; $try -le 3; $try++) {
                Remove-Item $list -ErrorAction Ignore
                & $pwsh[0] @rest
                if ($LASTEXITCODE -notin 134, 139) { break }
                Write-Warning "pwsh crashed with exit code $LASTEXITCODE while listing compiled methods (try $try of 3)."
            }
            $LASTEXITCODE | Should -Be 0
        }
        finally { $env:DOTNET_JitStdOutFile, $env:DOTNET_JitDisasmSummary = $saved }
        $compiled = @(Get-Content $list)
        $compiled -match 'ImportModuleCommand' | Should -Not -BeNullOrEmpty -Because 'the list covers the import'
        $compiled -match 'JIT compiled PSUdp\.' | Should -BeNullOrEmpty
    }
}
