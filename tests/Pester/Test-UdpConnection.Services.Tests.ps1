#Requires -Version 7.0
<#
    Test-UdpConnection against real services, each started by this file on a loopback port of its
    own with a config file of its own, and stopped by its pid: dnsmasq (DNS), chronyd (an NTP
    server, no upstream sources), snmpd (-I -smux: UDP only, its own persistent directory) and
    turnserver (coturn, STUN only, its own user database). Each is Open with its probe
    recognised; the same port with the service stopped is Closed.
    Traffic: loopback only.
#>

BeforeDiscovery {
    function Get-Tool([string] $Name) { Get-Command $Name -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1 }
    $services = @(
        @{ Name = 'dnsmasq'; Package = 'dnsmasq-base'; Probe = 'Dns'; Answer = '^DNS answer NOERROR: version\.bind "dnsmasq-' }
        @{ Name = 'chronyd'; Package = 'chrony'; Probe = 'Ntp'; Answer = '^NTP server, stratum 8, reference ' }
        @{ Name = 'snmpd'; Package = 'snmpd'; Probe = 'Snmp'; Answer = '^SNMPv2c answer: sysDescr "PSUdp test agent"$' }
        @{ Name = 'snmpd'; Package = 'snmpd'; Probe = 'SnmpV3'; Answer = '^SNMPv3 engine [0-9A-F]+, boots \d+$' }
        @{ Name = 'turnserver'; Package = 'coturn'; Probe = 'Stun'; Answer = '^STUN binding success, mapped address 127\.0\.0\.1:\d+' }
    ) | ForEach-Object {
        $_.Note = if (Get-Tool $_.Name) { '' } else { " [skipped: $($_.Name) is not installed (apt-get install $($_.Package))]" }
        $_.Missing = [bool] $_.Note
        $_
    }
}

BeforeAll {
    Import-Module PSUdp
    Import-Module (Join-Path $PSScriptRoot 'TestHosts.psm1') -Force

    # Starts a service in the foreground on a free loopback port, with files under $TestDrive, and
    # waits (bounded) until its probe is answered.
    function Start-TestService([string] $Name, [string] $Probe) {
        $port = Get-FreeUdpPort
        $dir = Join-Path $TestDrive "$Name-$port"
        $null = New-Item -ItemType Directory -Path $dir -Force
        switch ($Name) {
            'dnsmasq' {
                $arguments = '--keep-in-foreground', '--conf-file=/dev/null', "--port=$port", '--listen-address=127.0.0.1',
                '--bind-interfaces', '--no-resolv', '--no-hosts', '--no-dhcp-interface=lo', "--pid-file=$dir/dnsmasq.pid", '--user=root', '--log-facility=-'
            }
            'chronyd' {
                Set-Content "$dir/chrony.conf" "port $port", 'bindaddress 127.0.0.1', 'allow 127.0.0.1', 'local stratum 8', 'cmdport 0',
                "pidfile $dir/chronyd.pid", "driftfile $dir/drift"
                $arguments = '-f', "$dir/chrony.conf", '-x', '-d'
            }
            'snmpd' {
                Set-Content "$dir/snmpd.conf" 'rocommunity public 127.0.0.1', 'sysDescr PSUdp test agent'
                $arguments = '-f', '-Lo', '-I', '-smux', '-C', '-c', "$dir/snmpd.conf", '-p', "$dir/snmpd.pid",
                "--persistentDir=$dir", "udp:127.0.0.1:$port"
            }
            'turnserver' {
                $arguments = '-n', '--stun-only', '--no-cli', '--listening-ip=127.0.0.1', "--listening-port=$port",
                "--userdb=$dir/turndb", "--pidfile=$dir/turnserver.pid", "--log-file=$dir/turnserver.log", '--no-tls', '--no-dtls'
            }
        }
        $process = Start-TestProcess -FilePath (Get-Command $Name -CommandType Application)[0].Source -ArgumentList $arguments -WorkingDirectory $dir
        $deadline = [DateTime]::UtcNow.AddSeconds(20)
        do {
            if ($process.HasExited) { throw "$Name exited ($($process.ExitCode)): $((Receive-TestProcessOutput $process -Stream Error) -join "`n")" }
            $up = Test-UdpConnection -ComputerName 127.0.0.1 -Port $port -Probe $Probe -Retries 0 -TimeoutSeconds 0.5
        } until ($up.Verdict -eq 'Open' -or [DateTime]::UtcNow -gt $deadline)
        [pscustomobject]@{ Process = $process; Port = $port }
    }
}

Describe "Test-UdpConnection against <Name> with the <Probe> probe<Note>" -ForEach $services {
    BeforeAll {
        if (-not $Missing) { $service = Start-TestService $Name $Probe }
    }
    AfterAll {
        if ($service) { Stop-TestProcess $service.Process }
    }

    It 'is Open with the probe recognised' -Skip:$Missing {
        $r = Test-UdpConnection -ComputerName 127.0.0.1 -Port $service.Port -Probe $Probe
        $r.Verdict | Should -Be 'Open'
        $r.Recognized | Should -BeTrue
        $r.Answer | Should -Match $Answer
        $r.Probe | Should -Be $Probe
        $r.RoundTripTime | Should -BeGreaterThan ([timespan]::Zero)
    }

    It 'answers a series of 5 with every reply matched' -Skip:$Missing {
        $s = Test-UdpConnection -ComputerName 127.0.0.1 -Port $service.Port -Probe $Probe -Count 5 -IntervalSeconds 0.1
        $s.Received | Should -Be 5
        $s.Duplicates | Should -Be 0
    }

    It 'is Closed once the service is stopped by its pid' -Skip:$Missing {
        Stop-TestProcess $service.Process
        $r = Test-UdpConnection -ComputerName 127.0.0.1 -Port $service.Port -Probe $Probe
        $r.Verdict | Should -Be 'Closed'
        $r.IcmpType | Should -Be 3
        $r.IcmpCode | Should -Be 3
    }
}
