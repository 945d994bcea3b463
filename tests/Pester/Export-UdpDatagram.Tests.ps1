BeforeDiscovery {
    Import-Module "$PSScriptRoot/CaptureTools.psm1" -Force
    $NoTshark = Get-CaptureSkipReason -Tool tshark
}

BeforeAll {
    Import-Module PSUdp
    Import-Module "$PSScriptRoot/PSUdpTestUtilities.psm1" -Force
    Import-Module "$PSScriptRoot/TestHosts.psm1" -Force
    Import-Module "$PSScriptRoot/CaptureTools.psm1" -Force

    # A DNS query for example.com, type A (RFC 1035 4.1), as -Hex takes it.
    $DnsQuery = '12 34 01 00 00 01 00 00 00 00 00 00 07 65 78 61 6D 70 6C 65 03 63 6F 6D 00 00 01 00 01'

    # Received datagrams (IPv4 and IPv6, from a python peer) and sent ones (a DNS query over both families).
    $job = Receive-UdpDatagram -Port 0 -Count 2 -AsJob
    Invoke-TestPeer udp_sender '127.0.0.1', $job.LocalPort, '--text', 'received over IPv4' | Out-Null
    Invoke-TestPeer udp_sender '::1', $job.LocalPort, '--hex', 'de ad be ef' | Out-Null
    $Received = @($job | Wait-Job -Timeout 10 | Receive-Job | Sort-Object { $_.RemoteAddress.AddressFamily })
    $job | Remove-Job -Force
    $DnsPort = Get-ClosedUdpPort
    $Sent = @(
        Send-UdpDatagram -ComputerName 127.0.0.1 -Port $DnsPort -Hex $DnsQuery -PassThru
        Send-UdpDatagram -ComputerName ::1 -Port $DnsPort -Hex $DnsQuery -PassThru
    )
    $All = @($Received) + @($Sent)
}

AfterAll { Stop-TestProcess -All }

Describe 'Export-UdpDatagram' {
    It 'has datagrams to write' {
        $Received.Count | Should -Be 2
        $Sent.Count | Should -Be 2
    }

    Context 'tshark reads the <_> file' -ForEach 'pcapng', 'pcap' {
        BeforeAll {
            $format = $_
            $file = Join-Path $TestDrive "all.$format"
            $All | Export-UdpDatagram -Path $file
            $fields = 'frame.time_epoch', 'ip.src', 'ip.dst', 'ipv6.src', 'ipv6.dst', 'udp.srcport', 'udp.dstport', 'udp.payload', 'dns.qry.name', 'udp.checksum.status', 'ip.checksum.status'
            $options = '-o', 'udp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE', '-d', "udp.port==$DnsPort,dns"
            $packets = @(Get-TsharkPacket $file $fields $options)
        }

        It 'one packet per datagram, with the addresses and ports of each direction' -Skip:([bool]$NoTshark) {
            $packets.Count | Should -Be $All.Count
            for ($i = 0; $i -lt $All.Count; $i++) {
                $d = $All[$i]
                $p = $packets[$i]
                $v6 = $d.RemoteAddress.AddressFamily -eq 'InterNetworkV6'
                $source, $destination = if ($d.Direction -eq 'Sent') { $d.LocalAddress, $d.RemoteAddress } else { $d.RemoteAddress, $d.LocalAddress }
                $sourcePort, $destinationPort = if ($d.Direction -eq 'Sent') { $d.LocalPort, $d.RemotePort } else { $d.RemotePort, $d.LocalPort }
                ([ipaddress]($v6 ? $p.'ipv6.src' : $p.'ip.src')) | Should -Be $source
                ([ipaddress]($v6 ? $p.'ipv6.dst' : $p.'ip.dst')) | Should -Be $destination
                [int]$p.'udp.srcport' | Should -Be $sourcePort
                [int]$p.'udp.dstport' | Should -Be $destinationPort
            }
        }

        It 'the payloads byte for byte and valid checksums' -Skip:([bool]$NoTshark) {
            for ($i = 0; $i -lt $All.Count; $i++) {
                ($packets[$i].'udp.payload' -replace ':') | Should -Be $All[$i].Hex.ToLowerInvariant()
                $packets[$i].'udp.checksum.status' | Should -Be '1' -Because 'tshark checked the UDP checksum: 1 is Good'
                if ($All[$i].RemoteAddress.AddressFamily -eq 'InterNetwork') { $packets[$i].'ip.checksum.status' | Should -Be '1' }
            }
        }

        It 'the DNS query sent with -Hex is decoded by name, over IPv4 and IPv6' -Skip:([bool]$NoTshark) {
            @($packets | Where-Object 'dns.qry.name' -EQ 'example.com').Count | Should -Be 2
            ($packets | Where-Object 'dns.qry.name' -EQ 'example.com' | Where-Object 'ipv6.dst' -EQ '::1') | Should -Not -BeNullOrEmpty
        }

        It 'the times agree to the microsecond' -Skip:([bool]$NoTshark) {
            for ($i = 0; $i -lt $All.Count; $i++) {
                ConvertFrom-EpochText $packets[$i].'frame.time_epoch' | Should -Be (Get-UnixMicroseconds $All[$i])
            }
        }

        It 'Import-UdpDatagram reads the file back' {
            $back = @(Import-UdpDatagram -Path $file)
            $back.Count | Should -Be $All.Count
            for ($i = 0; $i -lt $All.Count; $i++) {
                $back[$i].Hex | Should -BeExactly $All[$i].Hex
                $back[$i].Direction | Should -Be 'Received'
                Get-UnixMicroseconds $back[$i] | Should -Be (Get-UnixMicroseconds $All[$i])
            }
        }
    }

    It 'the pcapng file says PSUdp wrote it, with nanosecond times and each direction' -Skip:([bool]$NoTshark) {
        $file = Join-Path $TestDrive 'comment.pcapng'
        $All | Export-UdpDatagram -Path $file
        $info = (Invoke-TestProcess capinfos @($file)).Output -join "`n"
        $info | Should -Match 'Capture comment:\s+Written by PSUdp'
        $info | Should -Match 'Capture application:\s+PSUdp'
        $info | Should -Match 'nanoseconds \(9\)'
        $info | Should -Match 'Raw IP'
        @(Get-TsharkPacket $file 'frame.packet_flags_direction').'frame.packet_flags_direction' | Should -Be @('0x00000001', '0x00000001', '0x00000002', '0x00000002') -Because '1 is inbound, 2 outbound'
    }

    It '-Append adds a new section to a pcapng file and continues a pcap file' -ForEach 'pcapng', 'pcap' {
        $file = Join-Path $TestDrive "append.$_"
        $Received | Export-UdpDatagram -Path $file
        $Sent | Export-UdpDatagram -Path $file -Append
        @(Import-UdpDatagram -Path $file).Hex | Should -Be @($All.Hex)
        $Sent | Export-UdpDatagram -Path $file
        @(Import-UdpDatagram -Path $file).Hex | Should -Be @($Sent.Hex) -Because 'without -Append the file is replaced'
    }

    It '-PassThru writes each datagram on, and -Format overrides the extension' {
        $file = Join-Path $TestDrive 'capture.bin'
        $passed = @($All | Export-UdpDatagram -Path $file -Format Pcap -PassThru)
        $passed.Count | Should -Be $All.Count
        $passed[0] | Should -Be $All[0]
        [System.BitConverter]::ToUInt32([System.IO.File]::ReadAllBytes($file), 0) | Should -Be 0xA1B2C3D4u
    }

    It 'writes deserialized datagrams (Import-Clixml, remoting) like live ones' {
        $xml = Join-Path $TestDrive 'datagrams.xml'
        $All | Export-Clixml $xml
        $file = Join-Path $TestDrive 'deserialized.pcapng'
        $remoted = foreach ($d in $All) { [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($d, 1)) }
        @(Import-Clixml $xml) + @($remoted) | Export-UdpDatagram -Path $file
        $back = @(Import-UdpDatagram -Path $file)
        $back.Count | Should -Be (2 * $All.Count)
        for ($i = 0; $i -lt $back.Count; $i++) {
            $o = $All[$i % $All.Count]
            $back[$i].Hex | Should -BeExactly $o.Hex
            Get-UnixMicroseconds $back[$i] | Should -Be (Get-UnixMicroseconds $o)
            $back[$i].LocalPort | Should -Be ($o.Direction -eq 'Sent' ? $o.RemotePort : $o.LocalPort)
        }
    }

    It 'writes a million datagrams in constant memory' {
        $file = Join-Path $TestDrive 'million.pcapng'
        $d = $Sent[0]
        [GC]::Collect()
        $before = [GC]::GetTotalMemory($true)
        & { for ($i = 0; $i -lt 1000000; $i++) { $d } } | Export-UdpDatagram -Path $file
        [GC]::GetTotalMemory($true) - $before | Should -BeLessThan 20MB
        (Get-Item $file).Length | Should -BeGreaterThan (1000000 * $d.Length)
    }

    Context 'bad input' {
        It 'a path whose extension names no format' {
            $file = Join-Path $TestDrive 'capture.txt'
            { $Sent | Export-UdpDatagram -Path $file } |
                Should -Throw -ErrorId 'UnknownCaptureFormat,PSUdp.Commands.ExportUdpDatagramCommand'
            Test-Path $file | Should -BeFalse
        }

        It '-Append to a <Existing> file with -Format <Asked>' -ForEach @(
            @{ Existing = 'pcap'; Asked = 'Pcapng' }
            @{ Existing = 'pcapng'; Asked = 'Pcap' }
        ) {
            $file = Join-Path $TestDrive "mismatch.$Existing"
            $Sent | Export-UdpDatagram -Path $file
            $length = (Get-Item $file).Length
            $err = { $Sent | Export-UdpDatagram -Path $file -Format $Asked -Append } |
                Should -Throw -ErrorId 'CaptureFormatMismatch,PSUdp.Commands.ExportUdpDatagramCommand' -PassThru
            $err.Exception.Message | Should -Match ([regex]::Escape($file))
            (Get-Item $file).Length | Should -Be $length
        }

        It 'a directory that is not there' {
            { $Sent | Export-UdpDatagram -Path (Join-Path $TestDrive 'no/such/dir/x.pcap') } |
                Should -Throw -ErrorId 'CaptureFileFailed,PSUdp.Commands.ExportUdpDatagramCommand'
        }

        It 'an object that is not a datagram is an error, and the others are written' {
            $file = Join-Path $TestDrive 'mixed.pcap'
            $errors = $null
            @($Sent[0], 'not a datagram', $Sent[1]) | Export-UdpDatagram -Path $file -ErrorVariable errors -ErrorAction SilentlyContinue
            $errors.Count | Should -Be 1
            $errors[0].FullyQualifiedErrorId | Should -Be 'NotADatagram,PSUdp.Commands.ExportUdpDatagramCommand'
            @(Import-UdpDatagram -Path $file).Count | Should -Be 2
        }

        It 'a deserialized datagram whose port is out of range is an error, and the others are written' {
            $file = Join-Path $TestDrive 'badport.pcap'
            $bad = [System.Management.Automation.PSSerializer]::Deserialize([System.Management.Automation.PSSerializer]::Serialize($Sent[0], 1))
            $bad.RemotePort = 70000
            $errors = $null
            @($Sent[0], $bad, $Sent[1]) | Export-UdpDatagram -Path $file -ErrorVariable errors -ErrorAction SilentlyContinue
            $errors.Count | Should -Be 1
            $errors[0].FullyQualifiedErrorId | Should -Be 'NotADatagram,PSUdp.Commands.ExportUdpDatagramCommand'
            @(Import-UdpDatagram -Path $file).Count | Should -Be 2
        }

        It '-WhatIf writes nothing' {
            $file = Join-Path $TestDrive 'whatif.pcapng'
            $Sent | Export-UdpDatagram -Path $file -WhatIf
            Test-Path $file | Should -BeFalse
        }
    }
}
