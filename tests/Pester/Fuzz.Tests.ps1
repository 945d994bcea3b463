# Fuzzing through the built module: random payloads through every encoding, and random parameter
# values through every cmdlet (seeded, bounded in count and time). Traffic only goes to loopback:
# every pool of hosts, addresses and interfaces below holds loopback or invalid values only.
BeforeAll {
    Import-Module PSUdp
    Import-Module "$PSScriptRoot/PSUdpTestUtilities.psm1" -Force
    $Encodings = 'ascii', 'ansi', 'bigendianunicode', 'bigendianutf32', 'oem', 'unicode', 'utf7', 'utf8', 'utf8BOM', 'utf8NoBOM', 'utf32', 'latin1', 1252, 932
}

Describe 'random payloads through every encoding' {
    It 'Receive-UdpDatagram keeps every byte and always decodes to a string with <_>' -ForEach 'ascii', 'bigendianunicode', 'bigendianutf32', 'oem', 'unicode', 'utf7', 'utf8', 'utf32', 'latin1', 932 {
        $random = [Random]::new(20261124)
        $sizes = @(0, 1, 2, 3, 65507) + @(1..12 | ForEach-Object { $random.Next(0, 65508) })
        $job = Receive-UdpDatagram -Port 0 -LocalAddress 127.0.0.1 -Count $sizes.Count -Encoding $_ -AsJob
        try {
            $payloads = foreach ($size in $sizes) {
                $bytes = [byte[]]::new($size); $random.NextBytes($bytes)
                Send-UdpDatagram 127.0.0.1 $job.LocalPort -Payload $bytes
                , $bytes
            }
            $got = @($job | Wait-Job -Timeout 20 | Receive-Job)
            $got.Count | Should -Be $sizes.Count
            for ($i = 0; $i -lt $got.Count; $i++) {
                $got[$i].Text | Should -BeOfType [string]
                $got[$i].Length | Should -Be $sizes[$i]
                [Convert]::ToHexString($got[$i].Payload) | Should -BeExactly ([Convert]::ToHexString($payloads[$i]))
                $got[$i].Hex | Should -BeExactly ([Convert]::ToHexString($payloads[$i]))
            }
        }
        finally { $job | Remove-Job -Force }
    }
}

Describe 'random parameter values through each cmdlet' {
    BeforeAll {
        $random = [Random]::new(424242)
        $peer = New-TestPeer
        $peerPort = $peer.LocalEndPoint.Port
        $job = Receive-UdpDatagram -Port 0 -Count 1 -AsJob
        Send-UdpDatagram 127.0.0.1 $job.LocalPort 'seed'
        $aDatagram = $job | Wait-Job -Timeout 10 | Receive-Job
        $job | Remove-Job

        $pick = { param($pool) $pool[$random.Next($pool.Count)] }
        # Value pools by parameter name (valid, invalid). Targets are loopback or invalid only;
        # never a real interface: a directed broadcast from this namespace would leave the machine.
        $pools = @{
            ComputerName      = @(@('127.0.0.1', '::1', 'localhost', '[::1]', '::ffff:127.0.0.1'), @('', ' ', $null, 'x.invalid', 'ÿ', ('a' * 300), [object[]]@($null)))
            LocalAddress      = @(@('127.0.0.1', '::1'), @('198.51.100.7', 'nope', '', $null))
            BroadcastAddress  = @(@('127.255.255.255'), @('x', '', $null, '::1'))
            InterfaceName     = @(@('lo'), @('nope0', '', $null))
            Port              = @(@($peerPort, 0), @(-1, 65536, [int]::MaxValue, 'x', $null, 1.5))
            LocalPort         = @(@(0), @(-1, 65536, 'x', $null))
            TimeoutSeconds    = @(@(0.01, 0.02, '0.01'), @(0, -1, [double]::NaN, 1e12, 'x', $null))
            Count             = @(@(1, 2, [int]::MaxValue), @(0, -1, 'x', $null))
            Encoding          = @(@('utf8', 'ascii', 1252, [Text.Encoding]::Unicode, 'utf32'), @('klingon', 99999, '', $null))
            Hex               = @(@('DEAD', 'de ad', '', '0xBEEF'), @('xyz', 'ABC', $null, ('00' * 65508), '0x0x'))
            Payload           = @(@([byte[]](1, 2, 3), [byte[]]@()), @($null, [byte[]]::new(65508), 'text', @(1, 300)))
            Message           = @(@('hello', '', '请输入要发送的数据', [string][char]0xD800), @($null, ('a' * 65508)))
            Datagram          = @(@($aDatagram), @($null, 'not a datagram'))
            ReceiveBufferSize = @(@(4096, 1MB), @(0, -1, 10, 'x'))
            MaximumRate       = @(@(0, 1, 1000), @(-1, 'x', $null))
            # Export-UdpDatagram and Import-UdpDatagram: files in the test drive only.
            Path              = @(@("$TestDrive/fuzz.pcap", "$TestDrive/fuzz.pcapng", "$TestDrive/fuzz.json"), @('', $null, "$TestDrive/none/x.pcap", "$TestDrive/fuzz.txt", "$TestDrive/*.nothing"))
            InputObject       = @(@($aDatagram), @($null, 'not a datagram', 42))
            Format            = @(@('Pcapng', 'Pcap', 'Json'), @('x', $null, 7))
        }
        $common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters

        function New-FuzzValue([string] $Name, [type] $Type) {
            $pool = $pools[$Name]
            if (-not $pool) {
                if ($Type -eq [System.Management.Automation.SwitchParameter]) { return ($random.Next(2) -eq 1) }
                $pool = @(@(1), @($null, 'x'))
            }
            & $pick $pool[[int]($random.NextDouble() -lt 0.2)]
        }

        # One parameter set at random, its mandatory parameters always, the others now and then;
        # four in five values valid, so most cases get past binding and reach the engine.
        function New-FuzzCase([System.Management.Automation.CommandInfo] $Command) {
            $set = & $pick @($Command.ParameterSets)
            $case = @{}
            foreach ($parameter in $set.Parameters) {
                if ($parameter.Name -in $common) { continue }
                if ($parameter.IsMandatory -or $random.NextDouble() -lt 0.3) {
                    $case[$parameter.Name] = New-FuzzValue $parameter.Name $parameter.ParameterType
                }
            }
            # Never the default limited broadcast from this namespace: a broadcast case always names
            # 127.255.255.255 (or an invalid address, or only the loopback interface).
            if ($Command.Name -eq 'Send-UdpBroadcast' -and -not $case.ContainsKey('InterfaceName')) {
                $case['BroadcastAddress'] = New-FuzzValue 'BroadcastAddress' ([ipaddress])
            }
            # Listeners and reply waits always stop by themselves: a valid timeout is a small one.
            if ($Command.Parameters.ContainsKey('TimeoutSeconds') -and ($null -eq $case['TimeoutSeconds'] -or $case.ContainsKey('AsJob'))) {
                $case['TimeoutSeconds'] = 0.01
            }
            $case
        }
    }
    AfterAll { $peer.Dispose(); Get-Job | Remove-Job -Force }

    It 'gives a result or an error with an error id, never an unhandled exception or a hang' {
        $commands = @(Get-Command -Module PSUdp -CommandType Cmdlet)
        $total = 10000
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $outcomes = @{ Result = 0; Error = 0 }
        $unhandled = [Collections.Generic.List[string]]::new()
        $ids = @{}
        for ($i = 0; $i -lt $total; $i++) {
            $command = $commands[$i % $commands.Count]
            $case = New-FuzzCase $command
            $started = $clock.Elapsed
            try {
                if ($command.Parameters.ContainsKey('Confirm')) { $case['Confirm'] = $false }
                $null = & $command @case -ErrorAction Stop -WarningAction SilentlyContinue
                $outcomes.Result++
            }
            catch {
                $outcomes.Error++
                $id = ($_.FullyQualifiedErrorId -split ',')[0]
                $ids[$id] = 1 + $ids[$id]
                if ($id -eq 'SocketFailed' -and $ids[$id] -le 3) { Write-Host "    SocketFailed: $($command.Name) $(($case.GetEnumerator() | ForEach-Object { "-$($_.Key) '$($_.Value)'" }) -join ' '): $($_.Exception.Message)" }
                # A PowerShell error id is a PascalCase word; an unhandled .NET exception shows its type name.
                if ($id -notmatch '^[A-Z][A-Za-z0-9]+$') {
                    $unhandled.Add("$($command.Name) $(($case.GetEnumerator() | ForEach-Object { "-$($_.Key) '$($_.Value)'" }) -join ' '): $($_.FullyQualifiedErrorId): $($_.Exception.Message)")
                }
            }
            if (($clock.Elapsed - $started).TotalSeconds -gt 5) {
                $unhandled.Add("$($command.Name) took $((($clock.Elapsed - $started).TotalSeconds)) s: a hang")
            }
            if ($i % 200 -eq 199) { Get-Job | Remove-Job -Force }
        }
        Get-Job | Remove-Job -Force
        Write-Host ("    {0:N0} fuzz cases in {1:N1} s: {2:N0} results, {3:N0} errors with an id, {4} unhandled" -f $total, $clock.Elapsed.TotalSeconds, $outcomes.Result, $outcomes.Error, $unhandled.Count)
        Write-Host ('    error ids: ' + (($ids.GetEnumerator() | Sort-Object Value -Descending | ForEach-Object { "$($_.Key) $($_.Value)" }) -join ', '))
        $unhandled | Select-Object -First 10 | Should -BeNullOrEmpty
    }
}
