# Import-Module PSUdp should cost no more than PowerShell charges any binary module with a format
# file: these tests keep PSUdp from adding its own work to the import (issue 5).
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
            & $pwsh[0] @rest
            $LASTEXITCODE | Should -Be 0
        }
        finally { $env:DOTNET_JitStdOutFile, $env:DOTNET_JitDisasmSummary = $saved }
        $compiled = @(Get-Content $list)
        $compiled -match 'ImportModuleCommand' | Should -Not -BeNullOrEmpty -Because 'the list covers the import'
        $compiled -match 'JIT compiled PSUdp\.' | Should -BeNullOrEmpty
    }
}
