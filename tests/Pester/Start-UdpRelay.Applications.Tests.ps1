#Requires -Version 7.0
<#
    Start-UdpRelay with real applications in front of it and real servers behind it, each server
    started by this file on a free loopback port with a config of its own and stopped by its pid:
    dig against dnsmasq through 30 % loss (the retries are what saves it), snmpget against snmpd
    through a delay (answered at 200 ms each way, timed out at 600 ms), logger into rsyslog (imudp
    only, files under TestDrive) with every datagram duplicated, and socat against Start-UdpEcho
    with a delay and with the answers corrupted. What each application saw is compared with what
    the relay's summaries say it did. Traffic: loopback only.
#>

BeforeDiscovery {
    # One entry per application: the commands it needs and the Debian packages they come from.
    function Get-Application([hashtable] $Tools) {
        $missing = @($Tools.Keys | Sort-Object | Where-Object { -not (Get-Command $_ -CommandType Application -ErrorAction SilentlyContinue) })
        @{
            Missing = [bool] $missing
            Note    = if ($missing) { " [skipped: $($missing -join ', ') not installed (apt-get install $(($missing | ForEach-Object { $Tools[$_] }) -join ' '))]" } else { '' }
        }
    }
    $dns = Get-Application @{ dig = 'bind9-dnsutils'; dnsmasq = 'dnsmasq-base' }
    $snmp = Get-Application @{ snmpget = 'snmp'; snmpd = 'snmpd' }
    $syslog = Get-Application @{ rsyslogd = 'rsyslog'; logger = 'bsdutils' }
    $socat = Get-Application @{ socat = 'socat' }
}

BeforeAll {
    Import-Module PSUdp
    Import-Module (Join-Path $PSScriptRoot 'PSUdpTestUtilities.psm1') -Force

    # Starts dnsmasq or snmpd in the foreground on a free loopback port, with its files under
    # $TestDrive, and waits (bounded) until Test-UdpConnection's probe is answered.
    function Start-TestServer([string] $Name) {
        $port = Get-FreeUdpPort
        $dir = Join-Path $TestDrive "$Name-$port"
        $null = New-Item -ItemType Directory -Path $dir -Force
        switch ($Name) {
            'dnsmasq' {
                $probe = 'Dns'
                $arguments = '--keep-in-foreground', '--conf-file=/dev/null', "--port=$port", '--listen-address=127.0.0.1',
                '--bind-interfaces', '--no-resolv', '--no-hosts', '--no-dhcp-interface=lo', "--pid-file=$dir/dnsmasq.pid", '--user=root',
                '--log-facility=-', '--address=/relay.test/192.0.2.7'
            }
            'snmpd' {
                $probe = 'Snmp'
                Set-Content "$dir/snmpd.conf" 'rocommunity public 127.0.0.1', 'sysDescr PSUdp test agent'
                $arguments = '-f', '-Lo', '-I', '-smux', '-C', '-c', "$dir/snmpd.conf", '-p', "$dir/snmpd.pid",
                "--persistentDir=$dir", "udp:127.0.0.1:$port"
            }
        }
        $process = Start-TestProcess -FilePath (Get-Command $Name -CommandType Application)[0].Source -ArgumentList $arguments -WorkingDirectory $dir
        $deadline = [DateTime]::UtcNow.AddSeconds(20)
        do {
            if ($process.HasExited) { throw "$Name exited ($($process.ExitCode)): $((Receive-TestProcessOutput $process -Stream Error) -join "`n")" }
            $up = Test-UdpConnection -ComputerName 127.0.0.1 -Port $port -Probe $probe -Retries 0 -TimeoutSeconds 0.5
        } until ($up.Verdict -eq 'Open' -or [DateTime]::UtcNow -gt $deadline)
        $up.Verdict | Should -Be 'Open' -Because "$Name must answer on 127.0.0.1:$port before the relay is put in front of it"
        [pscustomobject]@{ Process = $process; Port = $port; Directory = $dir }
    }

    # A relay's two summaries once every datagram it received is accounted for (forwarded, lost,
    # discarded...), so a count read just after the application ended is not one short.
    function Get-SettledSummary($Relay, [double] $Seconds = 5) {
        $unsettled = { @($Relay.Summary | Where-Object { $_.Forwarded + $_.Discarded + $_.Failed + $_.Lost + $_.QueueFull + $_.Refused -ne $_.Received + $_.Duplicated }).Count -gt 0 }
        $null = Wait-Until { -not (& $unsettled) } -Seconds $Seconds
        $summary = $Relay.Summary
        [pscustomobject]@{ ToTarget = $summary[0]; ToClient = $summary[1] }
    }

    # Runs an application to its end (bounded): its exit code, stdout and stderr lines, and how long it took.
    function Invoke-Application([string] $FilePath, [string[]] $ArgumentList, [double] $TimeoutSeconds = 20) {
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $run = Invoke-TestProcess -FilePath $FilePath -ArgumentList $ArgumentList -TimeoutSeconds $TimeoutSeconds
        $run | Add-Member -NotePropertyName Elapsed -NotePropertyValue $clock.Elapsed -PassThru
    }
}

Describe 'dig against dnsmasq through 30 % loss each way (-Seed 43)<Note>' -ForEach @($dns) {
    BeforeAll {
        if (-not $Missing) { $server = Start-TestServer dnsmasq }

        # Six queries for names under relay.test, one dig each, through a new relay with the same
        # seed: the same datagrams are lost on every run. Returns dig's runs and the summaries.
        function Invoke-DigThroughLoss([int] $Tries) {
            $relay = Start-UdpRelay -Port 0 -ComputerName 127.0.0.1 -RemotePort $server.Port -LossPercent 30 -Seed 43 -AsJob
            try {
                $runs = foreach ($n in 1..6) {
                    Invoke-Application dig @('-4', '@127.0.0.1', '-p', $relay.LocalPort, "+tries=$Tries", '+timeout=1', '+short', "q$n.relay.test", 'A') -TimeoutSeconds ($Tries * 2 + 10)
                }
                [pscustomobject]@{ Runs = @($runs); Summary = Get-SettledSummary $relay }
            }
            finally { $relay | Remove-Job -Force }
        }
    }
    AfterAll {
        if ($server) { Stop-TestProcess $server.Process }
    }

    It 'dnsmasq answers relay.test with 192.0.2.7 when asked directly' -Skip:$Missing {
        $run = Invoke-Application dig @('-4', '@127.0.0.1', '-p', $server.Port, '+tries=1', '+timeout=2', '+short', 'direct.relay.test', 'A')
        $run.ExitCode | Should -Be 0 -Because ($run.Output + $run.Error -join "`n")
        $run.Output | Should -Be '192.0.2.7'
    }

    It 'without retries (+tries=1) some queries fail, one for each datagram the relay lost' -Skip:$Missing {
        $m = Invoke-DigThroughLoss -Tries 1
        $answered = @($m.Runs | Where-Object { $_.ExitCode -eq 0 })
        $failed = @($m.Runs | Where-Object { $_.ExitCode -ne 0 })
        $lost = $m.Summary.ToTarget.Lost + $m.Summary.ToClient.Lost
        Write-Host "    +tries=1: $($answered.Count) of 6 answered; the relay lost $($m.Summary.ToTarget.Lost) queries and $($m.Summary.ToClient.Lost) answers"
        $failed.Count | Should -BeGreaterThan 0 -Because 'with -Seed 43 the relay loses a query or an answer, and dig does not try again'
        $answered.Count | Should -BeGreaterThan 0 -Because '30 % loss each way still lets about half of the round trips through'
        foreach ($run in $answered) { $run.Output | Should -Be '192.0.2.7' }
        foreach ($run in $failed) { ($run.Output + $run.Error) -join "`n" | Should -Match 'timed out' }
        $m.Summary.ToTarget.Received | Should -Be 6 -Because 'dig sends each query once'
        $lost | Should -Be $failed.Count -Because 'each failed query is one datagram the relay dropped: the query or its answer'
        $m.Summary.ToClient.Received | Should -Be (6 - $m.Summary.ToTarget.Lost) -Because 'dnsmasq answers every query that reaches it'
    }

    It 'with retries (+tries=4) every query is answered, after one retry per lost datagram' -Skip:$Missing {
        $m = Invoke-DigThroughLoss -Tries 4
        $lost = $m.Summary.ToTarget.Lost + $m.Summary.ToClient.Lost
        $timeouts = @($m.Runs.Output + $m.Runs.Error | Where-Object { $_ -match '^;; communications error to 127\.0\.0\.1#\d+: timed out' }).Count
        Write-Host "    +tries=4: dig timed out $timeouts times and tried again; the relay lost $($m.Summary.ToTarget.Lost) queries and $($m.Summary.ToClient.Lost) answers"
        foreach ($run in $m.Runs) {
            $run.ExitCode | Should -Be 0 -Because ($run.Output + $run.Error -join "`n")
            $run.Output | Where-Object { $_ -notmatch '^;;' } | Should -Be '192.0.2.7'
        }
        $m.Summary.ToTarget.Lost | Should -BeGreaterThan 0 -Because 'with -Seed 43 the default -Direction Both loses queries...'
        $m.Summary.ToClient.Lost | Should -BeGreaterThan 0 -Because '...and answers, and the retries make up for both'
        $timeouts | Should -Be $lost -Because 'dig waited out exactly the datagrams the relay lost'
        $m.Summary.ToTarget.Received | Should -Be (6 + $timeouts) -Because 'each retry is one more query'
    }
}

Describe 'snmpget against snmpd through a delay each way<Note>' -ForEach @($snmp) {
    BeforeAll {
        if (-not $Missing) {
            $server = Start-TestServer snmpd
            # The client's own config (no MIBs, so the OID is numeric) and persistent directory
            # (net-snmp would otherwise create /var/lib/snmp/cert_indexes).
            $clientDir = Join-Path $TestDrive 'snmp-client'
            $null = New-Item -ItemType Directory -Path $clientDir -Force
            Set-Content "$clientDir/snmp.conf" 'mibs :'
        }

        # snmpget for sysDescr.0, SNMPv2c, one try of one second, through a new relay with the delay.
        function Invoke-SnmpGetThroughDelay([double] $DelayMilliseconds) {
            $relay = Start-UdpRelay -Port 0 -ComputerName 127.0.0.1 -RemotePort $server.Port -DelayMilliseconds $DelayMilliseconds -AsJob
            try {
                $run = Invoke-Application env @("SNMPCONFPATH=$clientDir", "SNMP_PERSISTENT_DIR=$clientDir", 'snmpget', '-v2c', '-c', 'public',
                    '-t', '1', '-r', '0', '-Oqv', "127.0.0.1:$($relay.LocalPort)", '1.3.6.1.2.1.1.1.0')
                [pscustomobject]@{ Run = $run; Summary = Get-SettledSummary $relay }
            }
            finally { $relay | Remove-Job -Force }
        }
    }
    AfterAll {
        if ($server) { Stop-TestProcess $server.Process }
    }

    It 'answers sysDescr through 200 ms each way, in a round trip of at least 400 ms' -Skip:$Missing {
        $m = Invoke-SnmpGetThroughDelay 200
        Write-Host ("    snmpget through 200 ms each way took {0:N0} ms" -f $m.Run.Elapsed.TotalMilliseconds)
        $m.Run.ExitCode | Should -Be 0 -Because ($m.Run.Output + $m.Run.Error -join "`n")
        $m.Run.Output | Should -Be '"PSUdp test agent"'
        $m.Run.Elapsed.TotalMilliseconds | Should -BeGreaterOrEqual 400 -Because 'the request and the answer are each held 200 ms'
        $m.Summary.ToTarget.Forwarded | Should -Be 1
        $m.Summary.ToClient.Forwarded | Should -Be 1
    }

    It 'times out through 600 ms each way (1.2 s > -t 1), though the agent answered' -Skip:$Missing {
        $m = Invoke-SnmpGetThroughDelay 600
        $m.Run.ExitCode | Should -Not -Be 0
        $m.Run.Output + $m.Run.Error -join "`n" | Should -Match "Timeout: No Response from 127\.0\.0\.1:\d+"
        $m.Run.Output | Should -Not -Match 'PSUdp test agent'
        $m.Run.Elapsed.TotalMilliseconds | Should -BeGreaterOrEqual 1000 -Because 'snmpget waited its whole second'
        $m.Summary.ToTarget.Forwarded | Should -Be 1 -Because 'the request reached snmpd, 600 ms late'
        $m.Summary.ToClient.Received | Should -Be 1 -Because 'snmpd answered; the answer was on its way back when snmpget gave up'
        $m.Summary.ToClient.Forwarded | Should -Be 1 -Because 'the relay still delivers the late answer (to a port nobody listens on now)'
        $m.Summary.ToClient.Failed | Should -Be 0
    }
}

Describe 'logger into rsyslog with every datagram duplicated<Note>' -ForEach @($syslog) {
    BeforeAll {
        if (-not $Missing) {
            # rsyslog with imudp only (no imuxsock, no imklog: nothing touches /dev/log), its own
            # work directory, and its internal messages kept in this instance, not sent to the
            # system log. The test's messages go to relay.log, everything else to other.log.
            $port = Get-FreeUdpPort
            $dir = Join-Path $TestDrive 'rsyslog'
            $null = New-Item -ItemType Directory -Path "$dir/work" -Force
            $relayLog = Join-Path $dir 'relay.log'
            $otherLog = Join-Path $dir 'other.log'
            Set-Content "$dir/rsyslog.conf" @(
                "global(workDirectory=`"$dir/work`" processInternalMessages=`"on`")"
                '$RepeatedMsgReduction off'
                'module(load="imudp")'
                "input(type=`"imudp`" address=`"127.0.0.1`" port=`"$port`")"
                "if `$msg contains `"relaytest`" then { action(type=`"omfile`" file=`"$relayLog`") stop }"
                "action(type=`"omfile`" file=`"$otherLog`")"
            )
            $rsyslog = Start-TestProcess -FilePath (Get-Command rsyslogd -CommandType Application)[0].Source `
                -ArgumentList '-n', '-f', "$dir/rsyslog.conf", '-i', "$dir/rsyslogd.pid" -WorkingDirectory $dir
            # Ready once a message sent straight to it is in its file (bounded).
            $ready = Wait-Until {
                if ($rsyslog.HasExited) { return $true }
                $null = Invoke-TestProcess logger @('--udp', '--server', '127.0.0.1', '--port', $port, '--rfc3164', 'psudp-ready')
                Start-Sleep -Milliseconds 100
                (Test-Path $otherLog) -and ((Get-Content $otherLog) -match 'psudp-ready')
            } -Seconds 20
            if ($rsyslog.HasExited -or -not $ready) {
                throw "rsyslogd did not come up on 127.0.0.1:$port (exit $(if ($rsyslog.HasExited) { $rsyslog.ExitCode } else { 'none' })): $((Receive-TestProcessOutput $rsyslog -Stream Error) -join "`n")"
            }
        }
    }
    AfterAll {
        if ($rsyslog) { Stop-TestProcess $rsyslog }
    }

    It 'writes each of 20 messages exactly twice, and the relay counts 20 duplicated' -Skip:$Missing {
        $relay = Start-UdpRelay -Port 0 -ComputerName 127.0.0.1 -RemotePort $port -DuplicatePercent 100 -Direction ToTarget -Seed 1 -AsJob
        try {
            foreach ($n in 1..20) {
                $run = Invoke-TestProcess logger @('--udp', '--server', '127.0.0.1', '--port', $relay.LocalPort, '--rfc3164', "relaytest $n")
                $run.ExitCode | Should -Be 0 -Because ($run.Error -join "`n")
            }
            $summary = Get-SettledSummary $relay
            $null = Wait-Until { (Test-Path $relayLog) -and @(Get-Content $relayLog).Count -ge $summary.ToTarget.Forwarded } -Seconds 10
        }
        finally { $relay | Remove-Job -Force }

        $summary.ToTarget.Received | Should -Be 20
        $summary.ToTarget.Duplicated | Should -Be 20
        $summary.ToTarget.Forwarded | Should -Be 40
        $summary.ToClient.Received | Should -Be 0 -Because 'syslog over UDP never answers'
        $lines = @(Get-Content $relayLog)
        $lines | Should -HaveCount 40 -Because 'rsyslog wrote every copy the relay forwarded, and nothing else'
        # Per message: its number, how often it was written, and in how many distinct forms.
        $written = $lines | Group-Object { if ($_ -match 'relaytest (\d+)$') { [int] $Matches[1] } else { "unexpected: $_" } } |
            Sort-Object { [int] ($_.Name -replace '\D', '') } |
            ForEach-Object { '{0}x{1}/{2}' -f $_.Name, $_.Count, @($_.Group | Select-Object -Unique).Count }
        $written -join ' ' | Should -Be ((1..20 | ForEach-Object { "${_}x2/1" }) -join ' ') -Because 'each message was sent once and duplicated once, the copy the same datagram'
    }
}

Describe 'socat as a client of Start-UdpEcho through the relay<Note>' -ForEach @($socat) {
    BeforeAll {
        if (-not $Missing) { $echo = Start-UdpEcho -Port 0 -AsJob }

        # socat sends the bytes of a file as one datagram to the relay (UDP4: a connected socket,
        # so only the relay's port may answer) and writes what comes back, within a second after
        # the file ended, to another file. Returns socat's run and the answer's bytes.
        function Invoke-Socat([int] $Port, [byte[]] $Payload) {
            $name = [IO.Path]::GetRandomFileName()
            $in = Join-Path $TestDrive "$name.in"
            $out = Join-Path $TestDrive "$name.out"
            [IO.File]::WriteAllBytes($in, $Payload)
            $run = Invoke-Application socat @('-t', '1', "OPEN:$in!!CREATE:$out", "UDP4:127.0.0.1:$Port")
            $run.ExitCode | Should -Be 0 -Because ($run.Error -join "`n")
            [pscustomobject]@{ Run = $run; Answer = if (Test-Path $out) { [IO.File]::ReadAllBytes($out) } else { [byte[]] @() } }
        }

        # The payloads, in hex, that the echo echoed since the last call (each is one of its outputs).
        function Receive-EchoedHex { Receive-Job $echo | ForEach-Object { [Convert]::ToHexString($_.Payload) } }
    }
    AfterAll {
        if ($echo) { $echo | Remove-Job -Force }
    }

    It 'gets the echo''s answer through 50 ms each way, byte for byte' -Skip:$Missing {
        $null = Receive-EchoedHex
        $sent = [Text.Encoding]::ASCII.GetBytes("socat through the relay`n")
        $relay = Start-UdpRelay -Port 0 -ComputerName 127.0.0.1 -RemotePort $echo.LocalPort -DelayMilliseconds 50 -AsJob
        try {
            $got = Invoke-Socat $relay.LocalPort $sent
            $summary = Get-SettledSummary $relay
        }
        finally { $relay | Remove-Job -Force }
        [Convert]::ToHexString($got.Answer) | Should -Be ([Convert]::ToHexString($sent))
        $summary.ToTarget.Forwarded | Should -Be 1
        $summary.ToClient.Forwarded | Should -Be 1
    }

    It 'gets an answer that differs by exactly one bit with -CorruptPercent 100 -Direction ToClient' -Skip:$Missing {
        $null = Receive-EchoedHex
        $sent = [byte[]] (0..255)
        $relay = Start-UdpRelay -Port 0 -ComputerName 127.0.0.1 -RemotePort $echo.LocalPort -CorruptPercent 100 -Direction ToClient -Seed 5 -AsJob
        try {
            $got = Invoke-Socat $relay.LocalPort $sent
            $summary = Get-SettledSummary $relay
        }
        finally { $relay | Remove-Job -Force }
        $got.Answer.Length | Should -Be 256 -Because 'corruption flips a bit and keeps the length'
        $flipped = 0
        for ($i = 0; $i -lt 256; $i++) { $flipped += [Numerics.BitOperations]::PopCount([uint32] ($got.Answer[$i] -bxor $sent[$i])) }
        $flipped | Should -Be 1
        $null = Wait-Until { $echo.HasMoreData } -Seconds 5
        $echoed = @(Receive-EchoedHex)
        $echoed | Should -HaveCount 1
        $echoed[0] | Should -Be ([Convert]::ToHexString($sent)) -Because 'the way to the echo is not impaired: the bit flipped on the way back'
        $summary.ToTarget.Corrupted | Should -Be 0
        $summary.ToClient.Corrupted | Should -Be 1
    }
}
