BeforeDiscovery {
    Import-Module PSUdp
    $cmdlets = @(Get-Command -Module PSUdp -CommandType Cmdlet | ForEach-Object { @{ Name = $_.Name } })
}

BeforeAll {
    Import-Module PSUdp
    Import-Module "$PSScriptRoot/../../tools/MarkdownHelp.psm1" -Force
    $docs = Join-Path $PSScriptRoot '../../docs/en-US'
    $common = [System.Management.Automation.Cmdlet]::CommonParameters
}

Describe 'help for <Name>' -ForEach $cmdlets {
    BeforeAll {
        $page = Read-MarkdownHelp -Path (Join-Path $docs "$Name.md")
        $command = Get-Command $Name
        $help = Get-Help $Name -Full
        $parameters = @($command.Parameters.Values | Where-Object Name -NotIn $common)
    }

    It 'has a page in docs/en-US' { Test-Path (Join-Path $docs "$Name.md") | Should -BeTrue }

    It 'Get-Help shows the synopsis and the description' {
        $help.Synopsis | Should -BeExactly ($page.Synopsis -join ' ').Trim()
        $help.Synopsis | Should -Not -Match '^\s*$|\[<CommonParameters>\]'
        ($help.Description.Text -join "`n") | Should -Match ([regex]::Escape(($page.Description | Select-Object -First 1).Substring(0, 40)))
    }

    It 'Get-Help describes every parameter' {
        foreach ($parameter in $parameters) {
            $described = $help.parameters.parameter | Where-Object Name -EQ $parameter.Name
            ($described.Description.Text -join ' ') | Should -Not -BeNullOrEmpty -Because "-$($parameter.Name) needs a description"
        }
    }

    It 'Get-Help shows the input and output types' {
        ($help.inputTypes.inputType.type.name -join ' ') | Should -Not -BeNullOrEmpty
        foreach ($output in $command.OutputType) {
            ($help.returnValues.returnValue.type.name -join ' ') | Should -Match ([regex]::Escape($output.Name))
        }
    }

    It 'Get-Help shows every example of the page' {
        @($help.Examples.Example).Count | Should -Be @($page.Examples).Count
        @($page.Examples).Count | Should -BeGreaterOrEqual 3
        foreach ($example in $page.Examples) {
            ($help.Examples.Example.Code -join "`n") | Should -Match ([regex]::Escape(($example.Code -split "`n")[0].Trim()))
        }
    }

    It 'documents exactly the parameters the cmdlet has' {
        @($page.Parameters.Name | Sort-Object) | Should -Be @($parameters.Name | Sort-Object)
    }

    It 'documents each parameter as the metadata says' {
        foreach ($parameter in $parameters) {
            $documented = $page.Parameters | Where-Object Name -EQ $parameter.Name
            $sets = @($parameter.ParameterSets.Values)
            $because = "-$($parameter.Name) must match its metadata"
            $documented.Type | Should -Be $parameter.ParameterType.Name -Because $because
            @($documented.Aliases | Sort-Object) | Should -Be @($parameter.Aliases | Sort-Object) -Because $because
            $documented.Required | Should -Be (@($sets | Where-Object IsMandatory).Count -eq $sets.Count) -Because $because
            $position = if ($sets[0].Position -ge 0) { "$($sets[0].Position)" } else { 'Named' }
            $documented.Position | Should -Be $position -Because $because
            $pipeline = @(if ($sets[0].ValueFromPipelineByPropertyName) { 'ByPropertyName' }; if ($sets[0].ValueFromPipeline) { 'ByValue' })
            $expected = if ($pipeline) { "True ($($pipeline -join ', '))" } else { 'False' }
            $documented.PipelineInput | Should -Be $expected -Because $because
            $documentedSets = if ($parameter.ParameterSets.ContainsKey('__AllParameterSets')) { @('(All)') } else { @($parameter.ParameterSets.Keys | Sort-Object) }
            @($documented.ParameterSets | Sort-Object) | Should -Be $documentedSets -Because $because
        }
    }
}

Describe 'about_PSUdp' {
    It 'Get-Help about_PSUdp shows the topic' {
        $about = Get-Help about_PSUdp | Out-String
        $about | Should -Match 'UdpDatagram'
        $about | Should -Match 'Pester'
    }
}
