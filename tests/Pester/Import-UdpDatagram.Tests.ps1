BeforeDiscovery {
    Import-Module "$PSScriptRoot/CaptureTools.psm1" -Force
    Import-Module "$PSScriptRoot/PSUdpTestUtilities.psm1" -Force
    $NoReceiveTtl = Get-WineSkipReason NoReceiveTtl
    Import-Module "$PSScriptRoot/TestHosts.psm1" -Force
    $NoTcpdump = Get-CaptureSkipReason -Tool tcpdump, tshark
    $NoDumpcap = Get-CaptureSkipReason -Tool dumpcap, tshark
    $netns = Test-CanCreateNetworkNamespace
    $NoNamespace = if ($NoTcpdump) { $NoTcpdump } elseif (-not $netns.CanCreate) { $netns.Reason } else { $null }
}

BeforeAll {
    Import-Module PSUdp
    Import-Module "$PSScriptRoot/PSUdpTestUtilities.psm1" -Force
    Import-Module "$PSScriptRoot/TestHosts.psm1" -Force
    Import-Module "$PSScriptRoot/CaptureTools.psm1" -Force

    # What the capture must hold: each datagram once, byte for byte, with its endpoints.
    function Assert-SameDatagram($Imported, [string] $From, [int] $FromPort, [string] $To, [int] $ToPort, [byte[]] $Payload) {
        $Imported.Direction | Should -Be 'Received'
        $Imported.RemoteAddress | Should -Be ([ipaddress]$From)
        $Imported.RemotePort | Should -Be $FromPort
        $Imported.LocalAddress | Should -Be ([ipaddress]$To)
        $Imported.LocalPort | Should -Be $ToPort
        $Imported.Truncated | Should -BeFalse
        ConvertTo-HexString ([byte[]]$Imported.Payload) | Should -BeExactly (ConvertTo-HexString $Payload)
    }

    # The capture's times are the file's own: they equal what tshark reads, to the microsecond.
    function Assert-TsharkTime([string] $Path, $Imported) {
        $epochs = @(Get-TsharkPacket $Path 'frame.time_epoch' -Option '-Y', 'udp').'frame.time_epoch'
        $epochs.Count | Should -Be $Imported.Count
        for ($i = 0; $i -lt $epochs.Count; $i++) {
            Get-UnixMicroseconds $Imported[$i] | Should -Be (ConvertFrom-EpochText $epochs[$i])
        }
    }

    function Wait-Captured([string] $Path, [int] $Count) {
        Wait-Until { @(Import-UdpDatagram -Path $Path -ErrorAction Ignore -WarningAction Ignore).Count -ge $Count } -Seconds 20 | Should -BeTrue
    }

    $Started = [DateTimeOffset]::UtcNow

    # Where datagrams that only need to be sent go: a socket that never reads, so no ICMP error.
    $Sink = New-TestPeer
    $SinkPort = $Sink.LocalEndPoint.Port
}

AfterAll {
    Stop-TestProcess -All
    $Sink.Dispose()
}

Describe 'Import-UdpDatagram' {
    Context 'a tcpdump capture of real traffic on lo' {
        BeforeAll {
            $file = Join-Path $TestDrive 'lo.pcap'
            $receiver = Receive-UdpDatagram -Port 0 -LocalAddress 127.0.0.1 -Count 2 -AsJob
            $peer = Start-TestPeer udp_receiver '--host', '::1', '--port', '0', '--count', '2'
            $peerPort = Wait-TestPeerListening $peer
            $capture = Start-TestCapture -Tool tcpdump -Path $file -Filter "udp and (port $($receiver.LocalPort) or port $peerPort)"
            try {
                $fromPython = @(
                    (Invoke-TestPeer udp_sender '127.0.0.1', $receiver.LocalPort, '--text', 'python to PSUdp').Output
                    (Invoke-TestPeer udp_sender '127.0.0.1', $receiver.LocalPort, '--hex', (ConvertTo-HexString ([byte[]](0..255)))).Output
                ) | ForEach-Object { [int](($_ -split ' ')[1]) }
                $sent = @(
                    Send-UdpDatagram -ComputerName ::1 -Port $peerPort -Message 'PSUdp to python' -PassThru
                    Send-UdpDatagram -ComputerName ::1 -Port $peerPort -Payload ([byte[]]@()) -PassThru
                )
                $atReceiver = @($receiver | Wait-Job -Timeout 10 | Receive-Job)
                $atPeer = @(Stop-TestProcess $peer -PassThru | ConvertFrom-PeerLine)
                Wait-Captured $file 4
            }
            finally {
                Stop-TestCapture $capture
                $receiver | Remove-Job -Force
            }
            $imported = @(Import-UdpDatagram -Path $file)
        }

        It 'returns exactly the four datagrams, in order' -Skip:([bool]$NoTcpdump) {
            $atReceiver.Count | Should -Be 2
            $atPeer.Count | Should -Be 2
            $imported.Count | Should -Be 4
        }

        It 'what python sent to PSUdp: addresses, ports and bytes as the receiver saw them' -Skip:([bool]$NoTcpdump) {
            for ($i = 0; $i -lt 2; $i++) {
                Assert-SameDatagram $imported[$i] '127.0.0.1' $fromPython[$i] '127.0.0.1' $atReceiver[$i].LocalPort ([byte[]]$atReceiver[$i].Payload)
                $imported[$i].RemotePort | Should -Be $atReceiver[$i].RemotePort
            }
            $imported[1].Length | Should -Be 256
        }

        It 'what PSUdp sent to python over IPv6, the empty datagram too' -Skip:([bool]$NoTcpdump) {
            for ($i = 0; $i -lt 2; $i++) {
                Assert-SameDatagram $imported[2 + $i] '::1' $atPeer[$i].Port '::1' $peerPort ([byte[]]$sent[$i].Payload)
                $imported[2 + $i].RemotePort | Should -Be $sent[$i].LocalPort
            }
            $imported[3].Length | Should -Be 0
        }

        It "the times are the capture's, as tshark reads them" -Skip:([bool]$NoTcpdump) {
            Assert-TsharkTime $file $imported
            $imported[0].Timestamp | Should -BeGreaterThan $Started
            $imported[0].Timestamp | Should -BeLessOrEqual $atReceiver[0].Timestamp.AddSeconds(1)
        }

        It 'tcpdump wrote link type Ethernet (what Linux gives lo)' -Skip:([bool]$NoTcpdump) {
            [System.BitConverter]::ToUInt32([System.IO.File]::ReadAllBytes($file), 20) | Should -Be 1
        }
    }

    Context 'a pcapng capture by dumpcap (nanosecond times, if_tsresol 9)' {
        BeforeAll {
            $file = Join-Path $TestDrive 'dumpcap.pcapng'
            $peer = Start-TestPeer udp_receiver '--host', '127.0.0.1', '--port', '0', '--count', '2'
            $peerPort = Wait-TestPeerListening $peer
            $capture = Start-TestCapture -Tool dumpcap -Path $file -Filter "udp port $peerPort" -PacketCount 2
            try {
                $sent = @(
                    Send-UdpDatagram -ComputerName 127.0.0.1 -Port $peerPort -Message 'first' -PassThru
                    Send-UdpDatagram -ComputerName 127.0.0.1 -Port $peerPort -Hex '00 ff 10' -PassThru
                )
                $atPeer = @(Stop-TestProcess $peer -PassThru | ConvertFrom-PeerLine)
                $capture.WaitForExit(20000) | Should -BeTrue -Because 'dumpcap ends after its two packets'
            }
            finally { Stop-TestCapture $capture }
            $imported = @(Import-UdpDatagram -Path $file)
        }

        It 'returns the datagrams with their endpoints and bytes' -Skip:([bool]$NoDumpcap) {
            $imported.Count | Should -Be 2
            for ($i = 0; $i -lt 2; $i++) {
                Assert-SameDatagram $imported[$i] '127.0.0.1' $atPeer[$i].Port '127.0.0.1' $peerPort ([byte[]]$sent[$i].Payload)
            }
        }

        It 'keeps the nanosecond times to the 100 ns' -Skip:([bool]$NoDumpcap) {
            (Invoke-TestProcess capinfos @($file)).Output -join "`n" | Should -Match 'nanoseconds \(9\)'
            Assert-TsharkTime $file $imported
            $epochs = @(Get-TsharkPacket $file 'frame.time_epoch').'frame.time_epoch'
            for ($i = 0; $i -lt 2; $i++) {
                $seconds, $fraction = $epochs[$i] -split '\.'
                $ticks = [DateTimeOffset]::UnixEpoch.UtcTicks + [long]$seconds * 10000000 + [long]$fraction.Substring(0, 7)
                $imported[$i].Timestamp.UtcTicks | Should -Be $ticks
            }
        }
    }

    Context "a capture on a namespace's eth0 (Ethernet, ARP beside UDP)" {
        BeforeAll {
            if ($NoNamespace) { return }
            $domain = New-TestBroadcastDomain -HostCount 2
            $a = $domain.GetHost('a')
            $b = $domain.GetHost('b')
            $file = Join-Path $TestDrive 'eth0.pcap'
            $peer = Start-TestPeer udp_receiver '--host', $b.Address, '--port', '0', '--count', '2' -TestHost $b
            $peerPort = Wait-TestPeerListening $peer
            $capture = Start-TestCapture -Tool tcpdump -Path $file -Filter "arp or udp port $peerPort" -Interface eth0 -Namespace $a.Namespace
            try {
                $fromPorts = @(
                    (Invoke-TestPeer udp_sender $b.Address, $peerPort, '--text', 'across the wire' -TestHost $a).Output
                    (Invoke-TestPeer udp_sender $b.Address, $peerPort, '--hex', '01 02 03' -TestHost $a).Output
                ) | ForEach-Object { [int](($_ -split ' ')[1]) }
                $atPeer = @(Stop-TestProcess $peer -PassThru | ConvertFrom-PeerLine)
                Wait-Captured $file 2
            }
            finally {
                Stop-TestCapture $capture
            }
            $imported = @(Import-UdpDatagram -Path $file)
            $verbose = @(Import-UdpDatagram -Path $file -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }) -join "`n"
        }

        AfterAll { if ($domain) { Remove-TestBroadcastDomain -Prefix $domain.Prefix } }

        It 'returns the datagrams from host a to host b' -Skip:([bool]$NoNamespace) {
            $atPeer.Count | Should -Be 2
            $imported.Count | Should -Be 2
            Assert-SameDatagram $imported[0] $a.Address $fromPorts[0] $b.Address $peerPort ([Text.Encoding]::UTF8.GetBytes('across the wire'))
            Assert-SameDatagram $imported[1] $a.Address $fromPorts[1] $b.Address $peerPort ([byte[]](1, 2, 3))
            Assert-TsharkTime $file $imported
        }

        It 'the file is Ethernet, and the ARP packets are skipped and counted' -Skip:([bool]$NoNamespace) {
            [System.BitConverter]::ToUInt32([System.IO.File]::ReadAllBytes($file), 20) | Should -Be 1
            $arp = @(Get-TsharkPacket $file 'frame.number' -Option '-Y', 'arp').Count
            $arp | Should -BeGreaterThan 0
            $verbose | Should -Match "skipped $arp of other protocols, 0 IP fragments"
        }
    }

    Context 'replay' {
        BeforeAll {
            $file = Join-Path $TestDrive 'replay.pcapng'
            $original = @('one', 'two', 'three' | Send-UdpDatagram -ComputerName 127.0.0.1 -Port $SinkPort -PassThru)
            $original | Export-UdpDatagram -Path $file
        }

        It 'Import-UdpDatagram x | Send-UdpDatagram -ComputerName 127.0.0.1 -Port N sends each datagram again, byte for byte' {
            $server = Receive-UdpDatagram -Port 0 -LocalAddress 127.0.0.1 -Count 3 -AsJob
            try {
                Import-UdpDatagram -Path $file | Send-UdpDatagram -ComputerName 127.0.0.1 -Port $server.LocalPort
                $got = @($server | Wait-Job -Timeout 10 | Receive-Job)
                $got.Text | Should -Be @('one', 'two', 'three')
                $got.Hex | Should -Be @($original.Hex)
            }
            finally { $server | Remove-Job -Force }
        }

        It 'a replay with -TimeToLive arrives with that TTL' -Skip:([bool]$NoReceiveTtl) {
            $server = Receive-UdpDatagram -Port 0 -LocalAddress 127.0.0.1 -Count 3 -AsJob
            try {
                Import-UdpDatagram -Path $file | Send-UdpDatagram -ComputerName 127.0.0.1 -Port $server.LocalPort -TimeToLive 5
                $got = @($server | Wait-Job -Timeout 10 | Receive-Job)
                $got.Text | Should -Be @('one', 'two', 'three')
                $got.TimeToLive | Should -Be @(5, 5, 5)
            }
            finally { $server | Remove-Job -Force }
        }

        It '-Paced keeps the gaps of the capture' {
            # A capture whose datagrams are 0.6 s apart, made from deserialized copies with new times.
            $xml = Join-Path $TestDrive 'paced.xml'
            $original | Export-Clixml $xml
            $copies = @(Import-Clixml $xml)
            $base = [DateTimeOffset]::UtcNow
            for ($i = 0; $i -lt $copies.Count; $i++) { $copies[$i].TimestampText = $base.AddSeconds(0.6 * $i).ToString('o') }
            $paced = Join-Path $TestDrive 'paced.pcap'
            $copies | Export-UdpDatagram -Path $paced

            $server = Receive-UdpDatagram -Port 0 -LocalAddress 127.0.0.1 -Count 3 -AsJob
            try {
                $clock = [System.Diagnostics.Stopwatch]::StartNew()
                Import-UdpDatagram -Path $paced -Paced | Send-UdpDatagram -ComputerName 127.0.0.1 -Port $server.LocalPort
                $clock.Stop()
                $got = @($server | Wait-Job -Timeout 10 | Receive-Job)
                $got.Text | Should -Be @('one', 'two', 'three')
                # Only a lower bound: a loaded machine may be slower, never faster than the capture.
                $clock.Elapsed.TotalSeconds | Should -BeGreaterOrEqual 1.1
                ($got[2].Timestamp - $got[0].Timestamp).TotalSeconds | Should -BeGreaterOrEqual 1.1
            }
            finally { $server | Remove-Job -Force }
        }

        It 'without -Paced a capture that spans an hour is read at once' {
            $xml = Join-Path $TestDrive 'hour.xml'
            $original | Export-Clixml $xml
            $copies = @(Import-Clixml $xml)
            for ($i = 0; $i -lt $copies.Count; $i++) { $copies[$i].TimestampText = [DateTimeOffset]::UtcNow.AddHours($i).ToString('o') }
            $hour = Join-Path $TestDrive 'hour.pcapng'
            $copies | Export-UdpDatagram -Path $hour
            $ps = [powershell]::Create()
            try {
                $async = $ps.AddScript('param($Path) Import-Module PSUdp; Import-UdpDatagram -Path $Path').AddArgument($hour).BeginInvoke()
                $async.AsyncWaitHandle.WaitOne(30000) | Should -BeTrue -Because 'nothing waits for the gaps of the capture'
                @($ps.EndInvoke($async)).Count | Should -Be 3
            }
            finally { $ps.Dispose() }
        }
    }

    Context 'what is not a whole datagram, and bad files' {
        BeforeAll {
            $good = Join-Path $TestDrive 'good.pcap'
            $three = @('a', 'bb', 'ccc' | Send-UdpDatagram -ComputerName 127.0.0.1 -Port $SinkPort -PassThru)
            $three | Export-UdpDatagram -Path $good
            $goodNg = Join-Path $TestDrive 'good.pcapng'
            $three | Export-UdpDatagram -Path $goodNg
        }

        It 'IP fragments and other protocols are skipped, counted and warned about' {
            # Raw IPv4: a UDP datagram, a first fragment (more fragments), a later fragment, and TCP.
            $udp = [byte[]](0x45, 0, 0, 33, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 0, 7, 0, 9, 0, 13, 0, 0) + [Text.Encoding]::ASCII.GetBytes('hello')
            $first = [byte[]]$udp.Clone(); $first[6] = 0x20
            $later = [byte[]]$udp.Clone(); $later[7] = 0x10
            $tcp = [byte[]]$udp.Clone(); $tcp[9] = 6
            $file = Join-Path $TestDrive 'fragments.pcap'
            New-PcapFile $file 101 @($udp, $first, $later, $tcp)
            $warnings = $null
            $got = @(Import-UdpDatagram -Path $file -WarningVariable warnings -WarningAction SilentlyContinue)
            $got.Count | Should -Be 1
            $got[0].Text | Should -BeExactly 'hello'
            $got[0].RemoteAddress | Should -Be '10.0.0.1'
            $got[0].LocalPort | Should -Be 9
            ($warnings -join "`n") | Should -Match '2 IP fragments of UDP packets were skipped: PSUdp does not reassemble'
            $verbose = @(Import-UdpDatagram -Path $file -Verbose -WarningAction SilentlyContinue 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }) -join "`n"
            $verbose | Should -Match '4 packets, 1 UDP datagrams; skipped 1 of other protocols, 2 IP fragments'
        }

        It 'a truncated file: the datagrams before the cut, then CaptureTruncated naming the offset' {
            $bytes = [System.IO.File]::ReadAllBytes($good)
            $cut = Join-Path $TestDrive 'cut.pcap'
            [System.IO.File]::WriteAllBytes($cut, $bytes[0..($bytes.Length - 3)])
            $errors = $null
            $got = @(Import-UdpDatagram -Path $cut -ErrorVariable errors -ErrorAction SilentlyContinue)
            $got.Text | Should -Be @('a', 'bb')
            $errors.Count | Should -Be 1
            $errors[0].FullyQualifiedErrorId | Should -Be 'CaptureTruncated,PSUdp.Commands.ImportUdpDatagramCommand'
            $recordStart = $bytes.Length - (16 + 20 + 8 + 3)
            $errors[0].Exception.Message | Should -Match "inside the packet record that starts at offset $recordStart"
            $errors[0].TargetObject | Should -Be $cut
            $errors[0].CategoryInfo.Category | Should -Be 'InvalidData'
        }

        It 'a file that is not a capture is CaptureCorrupt at offset 0, and the next file is still read' {
            $text = Join-Path $TestDrive 'notes.pcap'
            Set-Content $text 'these are not packets'
            $errors = $null
            $got = @(Import-UdpDatagram -Path $text, $good -ErrorVariable errors -ErrorAction SilentlyContinue)
            $got.Count | Should -Be 3
            $errors[0].FullyQualifiedErrorId | Should -Be 'CaptureCorrupt,PSUdp.Commands.ImportUdpDatagramCommand'
            $errors[0].Exception.Message | Should -Match 'damaged at offset 0'
        }

        It 'a file that is not there' {
            { Import-UdpDatagram -Path (Join-Path $TestDrive 'missing.pcap') -ErrorAction Stop } |
                Should -Throw -ErrorId 'CaptureFileNotFound,PSUdp.Commands.ImportUdpDatagramCommand'
        }

        It 'wildcards and files from Get-ChildItem' {
            @(Import-UdpDatagram -Path (Join-Path $TestDrive 'goo*.pcap')).Count | Should -Be 3
            @(Get-Item $good | Import-UdpDatagram).Count | Should -Be 3
        }

        It '-Encoding decodes Text' {
            $file = Join-Path $TestDrive 'latin1.pcap'
            Send-UdpDatagram -ComputerName 127.0.0.1 -Port $SinkPort -Message 'café' -Encoding latin1 -PassThru | Export-UdpDatagram -Path $file
            (Import-UdpDatagram -Path $file -Encoding latin1).Text | Should -BeExactly 'café'
        }

        It '200 random corruptions give errors with capture ids, never a failure of another kind' {
            $valid = @([System.IO.File]::ReadAllBytes($good), [System.IO.File]::ReadAllBytes($goodNg))
            $random = [System.Random]::new(15)
            $ids = @{}
            $file = Join-Path $TestDrive 'fuzz.cap'
            for ($round = 0; $round -lt 200; $round++) {
                $bytes = [byte[]]$valid[$round % 2].Clone()
                for ($e = 0; $e -lt 1 + $random.Next(4); $e++) { $bytes[$random.Next($bytes.Length)] = [byte]$random.Next(256) }
                if ($random.Next(3) -eq 0) { $bytes = $bytes[0..$random.Next($bytes.Length)] }
                [System.IO.File]::WriteAllBytes($file, $bytes)
                $errors = $null
                $null = Import-UdpDatagram -Path $file -ErrorVariable errors -ErrorAction SilentlyContinue -WarningAction SilentlyContinue
                foreach ($err in $errors) {
                    $err.FullyQualifiedErrorId | Should -BeIn @('CaptureTruncated,PSUdp.Commands.ImportUdpDatagramCommand', 'CaptureCorrupt,PSUdp.Commands.ImportUdpDatagramCommand')
                    $err.Exception.Message | Should -Match 'offset \d'
                    $ids[$err.FullyQualifiedErrorId] = 1 + $ids[$err.FullyQualifiedErrorId]
                }
            }
            $ids.Count | Should -Be 2 -Because 'both kinds of damage were met'
        }
    }
}
