BeforeDiscovery {
    Import-Module "$PSScriptRoot/PSUdpTestUtilities.psm1" -Force
    $NoPython = Get-WineSkipReason Python
    $NonLocalBind = Get-WineSkipReason NonLocalBind
}

BeforeAll {
    Import-Module PSUdp
    Import-Module "$PSScriptRoot/PSUdpTestUtilities.psm1" -Force
    $Chinese = '请输入要发送的数据'

    # Receive-UdpDatagram in a second runspace of this process, as a user at a prompt would run it.
    function Start-Receiver([hashtable] $Parameters) { Start-InRunspace 'Receive-UdpDatagram @Parameters' $Parameters }
}

Describe 'Receive-UdpDatagram' {
    It 'writes each datagram as it arrives, not at the end' {
        $port = Get-ClosedUdpPort
        $receiver = Start-Receiver @{ Port = $port; Count = 2; LocalAddress = '127.0.0.1' }
        try {
            # The first runspace loads the module: on a loaded machine that alone can take seconds.
            Wait-Until { Test-UdpPortBound $port } -Seconds 60 | Should -BeTrue
            Send-UdpDatagram 127.0.0.1 $port 'first'
            Wait-Until { $receiver.Output.Count -ge 1 } -Seconds 30 | Should -BeTrue
            $receiver.Handle.IsCompleted | Should -BeFalse
            $receiver.Output[0].Text | Should -BeExactly 'first'
            Send-UdpDatagram 127.0.0.1 $port 'second'
            Wait-Until { $receiver.Handle.IsCompleted } -Seconds 30 | Should -BeTrue
            $receiver.Output.Count | Should -Be 2
        }
        finally { $receiver.PowerShell.Dispose() }
    }

    It 'receives what the python sender sends, byte for byte, on <_>' -Skip:([bool]$NoPython) -ForEach '127.0.0.1', '::1' {
        $job = Receive-UdpDatagram -Port 0 -Count 2 -AsJob
        try {
            $sent = @(
                Invoke-Python 'udp_sender.py' @($_, $job.LocalPort, '--text', $Chinese)
                Invoke-Python 'udp_sender.py' @($_, $job.LocalPort, '--hex', (ConvertTo-HexString ([byte[]](0..255))))
            )
            $got = @($job | Wait-Job -Timeout 10 | Receive-Job)
            $got.Count | Should -Be 2
            $got[0].Text | Should -BeExactly $Chinese
            $got[0].Hex | Should -BeExactly (ConvertTo-HexString ([Text.Encoding]::UTF8.GetBytes($Chinese)))
            $got[1].Hex | Should -BeExactly (ConvertTo-HexString ([byte[]](0..255)))
            $got[0].RemoteAddress | Should -Be ([ipaddress]$_)
            $got[0].LocalAddress | Should -Be ([ipaddress]$_)
            $got[0].RemotePort | Should -Be ([int](($sent[0] -split ' ')[1]))
        }
        finally { $job | Remove-Job -Force }
    }

    It 'receives what socat sends' -Skip:(-not (Get-Command socat -CommandType Application -ErrorAction Ignore)) {
        $job = Receive-UdpDatagram -Port 0 -LocalAddress 127.0.0.1 -Count 1 -AsJob
        try {
            $Chinese | & socat -u - "UDP4-SENDTO:127.0.0.1:$($job.LocalPort)"
            $got = $job | Wait-Job -Timeout 10 | Receive-Job
            $got.Text.TrimEnd("`n") | Should -BeExactly $Chinese
        }
        finally { $job | Remove-Job -Force }
    }

    It 'stops after -Count datagrams' {
        $port = Get-ClosedUdpPort
        $receiver = Start-Receiver @{ Port = $port; Count = 3; LocalAddress = '127.0.0.1' }
        try {
            Wait-Until { Test-UdpPortBound $port } | Should -BeTrue
            # The last two may meet a closed port: their refusal is reported, not thrown.
            1..5 | ForEach-Object { "d$_" } | Send-UdpDatagram 127.0.0.1 $port -ErrorAction SilentlyContinue
            Wait-Until { $receiver.Handle.IsCompleted } | Should -BeTrue
            @($receiver.Output.Text) | Should -Be @('d1', 'd2', 'd3')
            Test-UdpPortFree $port | Should -BeTrue
        }
        finally { $receiver.PowerShell.Dispose() }
    }

    It 'stops after -TimeoutSeconds and frees the port' {
        $port = Get-ClosedUdpPort
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $got = @(Receive-UdpDatagram -Port $port -TimeoutSeconds 0.5)
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 1.5
        $clock.Elapsed.TotalSeconds | Should -BeGreaterOrEqual 0.4
        $got.Count | Should -Be 0
        Test-UdpPortFree $port | Should -BeTrue
    }

    It 'returns within a second of Ctrl+C (Stop) and the port binds again at once' {
        $port = Get-ClosedUdpPort
        $receiver = Start-Receiver @{ Port = $port; LocalAddress = '127.0.0.1' }
        try {
            Wait-Until { Test-UdpPortBound $port } | Should -BeTrue
            $clock = [Diagnostics.Stopwatch]::StartNew()
            $receiver.PowerShell.Stop()
            $clock.Elapsed.TotalSeconds | Should -BeLessThan 1
            Test-UdpPortFree $port | Should -BeTrue
        }
        finally { $receiver.PowerShell.Dispose() }
    }

    It 'takes the receive path that PSUDP_FORCE_PORTABLE chooses, and says which' {
        # The build runs this file twice: as Linux runs it, and with PSUDP_FORCE_PORTABLE=1 as other systems do.
        $expected = if ($env:PSUDP_FORCE_PORTABLE -eq '1' -or -not $IsLinux) { 'one datagram per receive' } else { 'in batches' }
        $port = Get-ClosedUdpPort
        $job = Start-ThreadJob { param($p, $u) Import-Module $u; $null = Wait-Until { Test-UdpPortBound $p } -Seconds 30; Send-UdpDatagram 127.0.0.1 $p 'path' } -ArgumentList $port, "$PSScriptRoot/PSUdpTestUtilities.psm1"
        try {
            $verbose = Receive-UdpDatagram -Port $port -LocalAddress 127.0.0.1 -Count 1 -TimeoutSeconds 10 -Verbose 4>&1 |
                Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
            "$verbose" | Should -Match "reading $expected"
        }
        finally { $job | Wait-Job -Timeout 10 | Remove-Job -Force }
    }

    Context '-AsJob' {
        It 'says in its StatusMessage what it received and dropped' {
            $job = Receive-UdpDatagram -Port 0 -LocalAddress 127.0.0.1 -Count 2 -AsJob
            try {
                'a', 'b' | Send-UdpDatagram -ComputerName 127.0.0.1 -Port $job.LocalPort
                $job | Wait-Job -Timeout 10 | Out-Null
                $job.State | Should -Be 'Completed'
                # The system's own count is there where the platform keeps one (Linux, unless forced portable).
                $kernel = if ($IsLinux -and $env:PSUDP_FORCE_PORTABLE -ne '1') { ', 0 dropped by the system' } else { '' }
                $job.StatusMessage | Should -Be "2 received, 0 dropped$kernel"
            }
            finally { $job | Remove-Job -Force }
        }

        It 'returns a job at once that shows its port, receives, and frees the port on Stop-Job' {
            $job = Receive-UdpDatagram -Port 0 -LocalAddress 127.0.0.1 -AsJob
            try {
                $job | Should -BeOfType ([System.Management.Automation.Job])
                $job.State | Should -Be 'Running'
                $job.LocalPort | Should -BeGreaterThan 0
                $job.Location | Should -Be "127.0.0.1:$($job.LocalPort)"
                (Get-Job -Id $job.Id).Location | Should -Be $job.Location
                'a', 'b' | Send-UdpDatagram -ComputerName 127.0.0.1 -Port $job.LocalPort
                Wait-Until { $job.Received -ge 2 } | Should -BeTrue
                # Received counts what left the socket; the job's own thread then writes it out.
                Wait-Until { $job.Output.Count -ge 2 } | Should -BeTrue
                @(Receive-Job $job).Text | Should -Be @('a', 'b')
                Stop-Job $job
                $job.State | Should -Be 'Stopped'
                Test-UdpPortFree $job.LocalPort | Should -BeTrue
            }
            finally { $job | Remove-Job -Force }
            Get-Job -Id $job.Id -ErrorAction Ignore | Should -BeNullOrEmpty
        }

        It 'completes at -Count so Wait-Job returns' {
            $job = Receive-UdpDatagram -Port 0 -Count 1 -AsJob
            try {
                Send-UdpDatagram ::1 $job.LocalPort 'done'
                $job | Wait-Job -Timeout 10 | Out-Null
                $job.State | Should -Be 'Completed'
                (Receive-Job $job).Text | Should -BeExactly 'done'
            }
            finally { $job | Remove-Job -Force }
        }
    }

    Context 'the objects in files' {
        BeforeAll {
            $job = Receive-UdpDatagram -Port 0 -Count 3 -AsJob
            'error: disk full', 'info: all good', "error: $Chinese" | Send-UdpDatagram 127.0.0.1 $job.LocalPort
            $datagrams = @($job | Wait-Job -Timeout 10 | Receive-Job)
            $job | Remove-Job -Force
        }

        It 'Export-Csv writes useful columns and no System.Byte[]' {
            $csv = Join-Path $TestDrive 'capture.csv'
            $datagrams | Where-Object Text -Match 'error' | Export-Csv $csv
            $text = Get-Content -Raw $csv
            $text | Should -Not -Match 'System\.Byte\[\]'
            $rows = @(Import-Csv $csv)
            $rows.Count | Should -Be 2
            $rows[0].PSObject.Properties.Name | Should -Be @('Timestamp', 'TimestampText', 'Direction', 'RemoteAddress', 'RemotePort', 'LocalAddress', 'LocalPort', 'InterfaceName', 'TimeToLive', 'Dscp', 'Ecn', 'Length', 'Truncated', 'Text', 'Hex', 'RoundTripTime')
            $rows[1].Text | Should -BeExactly "error: $Chinese"
            $rows[0].RemoteAddress | Should -Be '127.0.0.1'
        }

        It 'Format-List shows every property but the payload, in order' {
            # The format file has a table view only: a list view of the same properties cost
            # every Import-Module a few milliseconds and changed nothing.
            $lines = @(($datagrams[0] | Format-List | Out-String) -split "`n" | Where-Object { $_ -match '^\w+\s*:' })
            $lines -replace '\s*:.*$' | Should -Be @('Timestamp', 'TimestampText', 'Direction', 'RemoteAddress', 'RemotePort', 'LocalAddress', 'LocalPort', 'InterfaceName', 'TimeToLive', 'Dscp', 'Ecn', 'Length', 'Truncated', 'Text', 'Hex', 'RoundTripTime')
        }

        It 'Export-Clixml and Import-Clixml keep the type name, the bytes and the table view' {
            $xml = Join-Path $TestDrive 'capture.xml'
            $datagrams | Export-Clixml $xml
            $back = @(Import-Clixml $xml)
            $back[0].pstypenames | Should -Contain 'Deserialized.PSUdp.UdpDatagram'
            [byte[]]$back[2].Payload | Should -Be ([byte[]]$datagrams[2].Payload)
            $table = $back | Format-Table | Out-String
            $table | Should -Match 'Remote\s+Local'
            $table | Should -Match '127\.0\.0\.1:\d+'
        }
    }

    Context 'bad input' {
        It 'a port that is in use' {
            $peer = New-TestPeer
            try {
                $err = { Receive-UdpDatagram -Port $peer.LocalEndPoint.Port -LocalAddress 127.0.0.1 -Count 1 } |
                    Should -Throw -ErrorId 'AddressInUse,PSUdp.Commands.ReceiveUdpDatagramCommand' -PassThru
                $err.Exception.Message | Should -Match "$($peer.LocalEndPoint.Port)"
                $err.CategoryInfo.Category | Should -Be 'ResourceUnavailable'
            }
            finally { $peer.Dispose() }
        }

        It 'port <_> is out of range' -ForEach -1, 65536 {
            { Receive-UdpDatagram -Port $_ -Count 1 } |
                Should -Throw -ErrorId 'ParameterArgumentValidationError,PSUdp.Commands.ReceiveUdpDatagramCommand'
        }

        It 'a local address that is not on this host' -Skip:([bool]$NonLocalBind) {
            { Receive-UdpDatagram -Port 0 -LocalAddress 198.51.100.99 -Count 1 } |
                Should -Throw -ErrorId 'AddressNotAvailable,PSUdp.Commands.ReceiveUdpDatagramCommand'
        }

        It 'a timeout of <_>' -ForEach 0, -1 {
            { Receive-UdpDatagram -Port 0 -TimeoutSeconds $_ } |
                Should -Throw -ErrorId 'ParameterArgumentValidationError,PSUdp.Commands.ReceiveUdpDatagramCommand'
        }

        It 'a count of 0' {
            { Receive-UdpDatagram -Port 0 -Count 0 } |
                Should -Throw -ErrorId 'ParameterArgumentValidationError,PSUdp.Commands.ReceiveUdpDatagramCommand'
        }
    }
}
