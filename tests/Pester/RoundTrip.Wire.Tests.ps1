# Round trips against the wire: tcpdump records each request and its reply where they pass (lo, or
# host A's veth through a router), and every round trip PSUdp reports is held against the time
# between the two frames. PSUdp runs in a pwsh of its own, so its first probe is a first call.
BeforeDiscovery {
    Import-Module "$PSScriptRoot/CaptureTools.psm1" -Force
    Import-Module "$PSScriptRoot/TestHosts.psm1" -Force
    $NoCapture = Get-CaptureSkipReason -Tool tcpdump, tshark
    $netns = Test-CanCreateNetworkNamespace
    $NoNamespace = if ($NoCapture) { $NoCapture } elseif (-not $netns.CanCreate) { $netns.Reason } else { $null }
}

BeforeAll {
    Import-Module PSUdp
    Import-Module "$PSScriptRoot/PSUdpTestUtilities.psm1" -Force
    Import-Module "$PSScriptRoot/TestHosts.psm1" -Force
    Import-Module "$PSScriptRoot/CaptureTools.psm1" -Force

    # The wire's round trip of each request, by its payload (hex): from the request's frame to the
    # first frame back from the server's port with the same payload (an echo), in microseconds.
    function Get-WireRoundTrip([string] $Path, [int] $ServerPort) {
        $sent = @{}
        $wire = @{}
        foreach ($packet in Get-TsharkPacket $Path 'frame.time_epoch', 'udp.srcport', 'udp.dstport', 'udp.payload' -Option '-Y', 'udp') {
            # The capture's microseconds.
            $seconds, $fraction = $packet.'frame.time_epoch' -split '\.'
            $at = [decimal]$seconds * 1000000 + [decimal]('0.' + $fraction) * 1000000
            $payload = $packet.'udp.payload' -replace ':', ''
            if ([int]$packet.'udp.dstport' -eq $ServerPort -and -not $sent.ContainsKey($payload)) { $sent[$payload] = $at }
            elseif ([int]$packet.'udp.srcport' -eq $ServerPort -and $sent.ContainsKey($payload) -and -not $wire.ContainsKey($payload)) { $wire[$payload] = [double]($at - $sent[$payload]) }
        }
        $wire
    }

    # PSUdp's round trips ('RTT <order> <ticks> <payload hex>' lines) against the wire's: one row per
    # probe in PSUdp's order, with the difference in microseconds.
    function Compare-WireRoundTrip([string[]] $Line, [hashtable] $Wire) {
        foreach ($text in $Line | Where-Object { $_ -match '^RTT ' }) {
            $null, $order, $ticks, $payload = $text -split ' '
            [pscustomobject]@{
                Order      = [int]$order
                PSUdp      = [long]$ticks / 10.0
                Wire       = $Wire[$payload.ToLowerInvariant()]
                Difference = if ($Wire.ContainsKey($payload.ToLowerInvariant())) { [long]$ticks / 10.0 - $Wire[$payload.ToLowerInvariant()] }
            }
        }
    }

    # The nearest-rank percentile.
    function Get-Percentile([double[]] $Value, [double] $Fraction) {
        $sorted = @($Value | Sort-Object)
        $sorted[[Math]::Max(0, [Math]::Ceiling($Fraction * $sorted.Count) - 1)]
    }

    # What each row's difference says, for the test's output and its failures.
    function Format-Difference($Rows) {
        $Rows = @($Rows | Where-Object { $null -ne $_.Wire })
        $absolute = @($Rows | ForEach-Object { [Math]::Abs($_.Difference) })
        '{0} round trips: PSUdp mean {1:N1} us, the wire {2:N1} us; |PSUdp - wire| median {3:N1}, 99th percentile {4:N1}, largest {5:N1} us; the first {6:N1} us off' -f $Rows.Count,
            ($Rows.PSUdp | Measure-Object -Average).Average, ($Rows.Wire | Measure-Object -Average).Average,
            (Get-Percentile $absolute 0.5), (Get-Percentile $absolute 0.99), ($absolute | Measure-Object -Maximum).Maximum, [Math]::Abs($Rows[0].Difference)
    }

    # A 1,000-probe series and a pipeline of 200 requests with -WaitForReply (200, so that the 99th
    # percentile is a percentile and not the largest): what the child prints.
    $SeriesScript = 'Test-UdpConnection -ComputerName {0} -Port {1} -Probe Echo -Count 1000 -IntervalSeconds 0.001 -Detailed | Where-Object {{ $_.PSObject.TypeNames[0] -like ''*UdpProbeResult'' -and $_.Reply }} | ForEach-Object {{ ''RTT {{0}} {{1}} {{2}}'' -f $_.Sequence, $_.RoundTripTime.Ticks, [Convert]::ToHexString($_.Reply.Payload) }}'
    $SendScript = '$i = 0; 1..200 | ForEach-Object {{ ''request {{0:000}}'' -f $_ }} | Send-UdpDatagram -ComputerName {0} -Port {1} -WaitForReply | ForEach-Object {{ ''RTT {{0}} {{1}} {{2}}'' -f $i++, $_.RoundTripTime.Ticks, [Convert]::ToHexString($_.Payload) }}'

    # Runs one of the scripts in a fresh pwsh (here, or in a test host) while tcpdump records the
    # server's port; the rows of Compare-WireRoundTrip.
    function Measure-AgainstWire([string] $Script, [string] $Server, [int] $Port, [object] $TestHost, [string] $Interface = 'lo') {
        $file = Join-Path $TestDrive "wire-$([guid]::NewGuid().ToString("N")).pcap"
        $ns = if ($TestHost) { $TestHost.Namespace } else { $null }
        $capture = Start-TestCapture -Tool tcpdump -Path $file -Filter "udp and port $Port" -Interface $Interface -Namespace $ns
        try {
            $command = $Script -f $Server, $Port
            $lines = if ($TestHost) { Invoke-PSUdpInTestHost $TestHost $command -TimeoutSeconds 60 }
            else { @(& (Get-PwshCommand)[0] @(@(Get-PwshCommand | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-Command', "Import-Module PSUdp; $command"))) }
        }
        finally {
            # tcpdump takes packets from the kernel a block at a time, a block at the latest a second
            # after its first packet: until the file has not grown for two seconds, more may come.
            $length = -1
            $deadline = [DateTime]::UtcNow.AddSeconds(20)
            while ((Get-Item $file).Length -ne $length -and [DateTime]::UtcNow -lt $deadline) { $length = (Get-Item $file).Length; Start-Sleep -Seconds 2 }
            Stop-TestCapture $capture
        }
        $rows = @(Compare-WireRoundTrip $lines (Get-WireRoundTrip $file $Port) | Sort-Object Order)
        $rows.Count | Should -BeGreaterThan 0 -Because "the child printed: $($lines | Select-Object -First 5)"
        @($rows | Where-Object { $null -eq $_.Wire }).Count | Should -Be 0 -Because 'every reply PSUdp took was on the wire'
        $rows
    }
}

AfterAll {
    Stop-TestProcess -All
}

Describe 'Round trips against the wire, on lo' -Skip:([bool]$NoCapture) {
    BeforeAll {
        # The python echo server: a peer PSUdp did not write.
        $echo = Start-TestPeer udp_echo_server '--host', '127.0.0.1', '--port', '0', '--timeout', '120', '--quiet'
        $echoPort = Wait-TestPeerListening $echo
    }

    AfterAll { Stop-TestProcess $echo }

    It 'Test-UdpConnection -Count 1000: each round trip within 20 us of the wire''s at the 99th percentile, the first within 50 us' {
        $rows = Measure-AgainstWire $SeriesScript '127.0.0.1' $echoPort
        Write-Host "    $(Format-Difference $rows)"
        $rows.Count | Should -BeGreaterOrEqual 900 -Because 'the python echo answers (almost) every probe'
        Get-Percentile @($rows | ForEach-Object { [Math]::Abs($_.Difference) }) 0.99 | Should -BeLessOrEqual 20
        [Math]::Abs($rows[0].Difference) | Should -BeLessOrEqual 50
    }

    It 'Send-UdpDatagram -WaitForReply: each RoundTripTime within 20 us of the wire''s at the 99th percentile, the first within 50 us' {
        $rows = Measure-AgainstWire $SendScript '127.0.0.1' $echoPort
        Write-Host "    $(Format-Difference $rows)"
        $rows.Count | Should -Be 200
        Get-Percentile @($rows | ForEach-Object { [Math]::Abs($_.Difference) }) 0.99 | Should -BeLessOrEqual 20
        [Math]::Abs($rows[0].Difference) | Should -BeLessOrEqual 50
    }
}

Describe 'Round trips against the wire, through a router (A - R - B)' -Skip:([bool]$NoNamespace) {
    BeforeAll {
        $net = New-TestRoutedNetwork
        $echo = Start-TestPeer udp_echo_server '--host', '0.0.0.0', '--port', '0', '--timeout', '120', '--quiet' -TestHost $net.B
        $echoPort = Wait-TestPeerListening $echo
    }

    AfterAll {
        Stop-TestProcess -All
        if ($net) { Remove-TestBroadcastDomain -Prefix $net.Prefix }
    }

    It 'Test-UdpConnection -Count 1000 from A to B: within 20 us of A''s veth at the 99th percentile, the first within 50 us' {
        $rows = Measure-AgainstWire $SeriesScript $net.B.Address $echoPort -TestHost $net.A -Interface 'eth0'
        Write-Host "    $(Format-Difference $rows)"
        $rows.Count | Should -BeGreaterOrEqual 900 -Because 'the python echo answers (almost) every probe'
        Get-Percentile @($rows | ForEach-Object { [Math]::Abs($_.Difference) }) 0.99 | Should -BeLessOrEqual 20
        [Math]::Abs($rows[0].Difference) | Should -BeLessOrEqual 50
    }

    It 'Send-UdpDatagram -WaitForReply from A to B: within 20 us of A''s veth at the 99th percentile, the first within 50 us' {
        $rows = Measure-AgainstWire $SendScript $net.B.Address $echoPort -TestHost $net.A -Interface 'eth0'
        Write-Host "    $(Format-Difference $rows)"
        $rows.Count | Should -Be 200
        Get-Percentile @($rows | ForEach-Object { [Math]::Abs($_.Difference) }) 0.99 | Should -BeLessOrEqual 20
        [Math]::Abs($rows[0].Difference) | Should -BeLessOrEqual 50
    }
}
