BeforeDiscovery {
    Import-Module PSUdp
    $cmdlets = @(Get-Command -Module PSUdp -CommandType Cmdlet | ForEach-Object { @{ Name = $_.Name } })
}

BeforeAll {
    Import-Module PSUdp
    Import-Module "$PSScriptRoot/../../tools/MarkdownHelp.psm1" -Force
    Import-Module "$PSScriptRoot/PSUdpTestUtilities.psm1" -Force
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

Describe 'the examples of <Name> run' -ForEach $cmdlets {
    BeforeDiscovery {
        Import-Module "$PSScriptRoot/../../tools/MarkdownHelp.psm1" -Force
        Import-Module "$PSScriptRoot/PSUdpTestUtilities.psm1" -Force
        $page = Read-MarkdownHelp -Path (Join-Path $PSScriptRoot "../../docs/en-US/$Name.md")
        # Run what touches loopback only and does not wait for traffic from outside the example
        # (a listener on a fixed port); ports are swapped for a test peer's.
        $examples = @($page.Examples | Where-Object {
                $code = $_.Code
                ($code -match '127\.0\.0\.1|::1|-Port 0\b') -and
                ($code -notmatch '\b(?!127\.)(\d{1,3}\.){3}\d{1,3}\b') -and
                ($code -notmatch '(Receive-UdpDatagram|Start-UdpEcho) -Port [1-9]') -and
                ($code -notmatch '(?m)^\s*(Describe|BeforeAll|It) ')
            } | ForEach-Object {
                # Under Wine: a tool the example calls is missing, or the reply to 127.0.0.1 passes a
                # PSUdp listener bound dual-mode (the default), which Wine's fault reads as cut.
                $tool = [regex]::Match($_.Code, '\b(tshark|dig)\b').Value
                $skip = if ($tool) { Get-WineSkipReason Tool -Tool $tool }
                elseif ($_.Code -match 'Start-UdpEcho|Start-UdpRelay|Receive-UdpDatagram' -and $_.Code -match '(?s)127\.0\.0\.1.*-WaitForReply|-WaitForReply.*127\.0\.0\.1') { Get-WineSkipReason DualModeReceive }
                @{ Title = $_.Title; Code = $_.Code; Remarks = ($_.Remarks -join "`n"); Skip = $skip }
            })
    }

    BeforeAll {
        $peer = New-Object System.Net.Sockets.Socket 'InterNetworkV6', 'Dgram', 'Udp'
        $peer.DualMode = $true
        $peer.Bind([System.Net.IPEndPoint]::new([ipaddress]::IPv6Any, 0))
        $port = $peer.LocalEndPoint.Port
        Set-Content (Join-Path $TestDrive 'events.log') 'app: started', 'app: backup finished'
    }
    AfterAll { $peer.Dispose() }

    It '<Title>' -ForEach $examples {
        if ($Skip) { Set-ItResult -Skipped -Because $Skip; return }
        $code = $Code -replace '-Port [1-9]\d*', "-Port $port"
        $run = Start-InRunspace "Set-Location '$TestDrive'; $code"
        $ps = $run.PowerShell
        try {
            Wait-InRunspace $run 30 | Should -BeTrue -Because 'an example must end by itself'
            $null = $ps.EndInvoke($run.Handle)
            foreach ($record in $ps.Streams.Error) {
                # An example may show an error on purpose; it then names the error in its text.
                $id = ($record.FullyQualifiedErrorId -split ',')[0]
                $Remarks | Should -Match $id -Because "the example failed: $record"
            }
        }
        finally { $ps.Dispose() }
    }
}
