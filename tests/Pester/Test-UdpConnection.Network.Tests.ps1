#Requires -Version 7.0
<#
    Test-UdpConnection's verdicts for real, refereed by nmap -sU on the same ports in the same test.

    Loopback: an echo peer, a closed port and a silent socket.
    Namespaces (New-TestRoutedNetwork: host A - router R - host B, all the test's own): on B,
    dnsmasq, chronyd, snmpd and turnserver on their well-known ports (nmap sends its protocol
    payloads only there) and a python echo on port 7; nftables on B rejects port 1001 with
    admin-prohibited and 1002 with host-unreachable and drops 1003; nftables on R rejects 1004
    with net-unreachable (so the ICMP comes from R, not B); nothing listens on 1005.
    Every daemon is started by this file with its own config and stopped by its pid.
    Traffic: loopback, and inside the namespaces made here.
#>

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHosts.psm1') -Force
    $support = Test-CanCreateNetworkNamespace
    $hasNmap = [bool] (Get-Command nmap -CommandType Application -ErrorAction SilentlyContinue)
    $hasNft = [bool] (Get-Command nft -CommandType Application -ErrorAction SilentlyContinue)
    $missing = @('dnsmasq', 'chronyd', 'snmpd', 'turnserver') | Where-Object { -not (Get-Command $_ -CommandType Application -ErrorAction SilentlyContinue) }
    $nmapNote = if ($hasNmap) { '' } else { ' [skipped: nmap is not installed (apt-get install nmap)]' }
    $netNote = if (-not $support.CanCreate) { " [skipped: $($support.Reason)]" }
    elseif (-not $hasNmap -or -not $hasNft) { ' [skipped: nmap and nft are needed (apt-get install nmap nftables)]' }
    elseif ($missing) { " [skipped: $($missing -join ', ') not installed]" }
    else { '' }
    $skipNet = [bool] $netNote
}

BeforeAll {
    Import-Module PSUdp
    Import-Module (Join-Path $PSScriptRoot 'TestHosts.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'PSUdpTestUtilities.psm1') -Force
    $pwsh = Get-PwshCommand
    $states = @{ 'open' = 'Open'; 'closed' = 'Closed'; 'filtered' = 'Filtered'; 'open|filtered' = 'OpenOrFiltered' }

    # nmap -sU on the ports, run in a namespace or here; port -> @{ Verdict; Reason }.
    function Invoke-Nmap([string] $Target, [int[]] $Ports, [string] $Namespace) {
        $arguments = @('-sU', '-Pn', '-n', '--reason', '--max-retries', '2', '-p', ($Ports -join ','), '-oX', '-', $Target)
        $run = Invoke-TestProcess -FilePath (Get-Command nmap -CommandType Application)[0].Source -ArgumentList $arguments -Namespace $Namespace -TimeoutSeconds 120
        $run.ExitCode | Should -Be 0 -Because ($run.Error -join "`n")
        $xml = [xml] ($run.Output -join "`n")
        $map = @{}
        foreach ($p in $xml.nmaprun.host.ports.port) {
            $map[[int] $p.portid] = [pscustomobject]@{ Verdict = $states[$p.state.state]; Reason = $p.state.reason }
        }
        $map
    }

    # Test-UdpConnection in a namespace (a child pwsh that imports the built module); port -> result.
    function Invoke-TestUdpConnectionIn([string] $Namespace, [string] $Arguments) {
        $script = "Import-Module PSUdp; Test-UdpConnection $Arguments | Select-Object Port, @{ n = 'Verdict'; e = { `"`$(`$_.Verdict)`" } }, Reason, IcmpType, IcmpCode, @{ n = 'IcmpSource'; e = { `"`$(`$_.IcmpSource)`" } }, Recognized, Answer | ConvertTo-Json -Depth 2"
        $command = @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-Command', $script)
        $run = Invoke-TestProcess -FilePath $pwsh[0] -ArgumentList $command -Namespace $Namespace -TimeoutSeconds 180
        $run.ExitCode | Should -Be 0 -Because ($run.Error -join "`n")
        $map = @{}
        foreach ($r in @($run.Output -join "`n" | ConvertFrom-Json)) { $map[[int] $r.Port] = $r }
        $map
    }

    function Invoke-In([string] $Namespace, [string[]] $Command) {
        $run = Invoke-TestProcess -FilePath $Command[0] -ArgumentList @($Command | Select-Object -Skip 1) -Namespace $Namespace -TimeoutSeconds 30
        $run.ExitCode | Should -Be 0 -Because "$($Command -join ' '): $($run.Error -join "`n")"
    }
}

Describe "Test-UdpConnection and nmap agree on loopback$nmapNote" -Skip:(-not $hasNmap) {
    BeforeAll {
        $echo = Start-TestPeer udp_echo_server '--port', '0', '--timeout', '120'
        $echoPort = Wait-TestPeerListening $echo
        $silent = New-TestPeer
        $closed = Get-ClosedUdpPort
        $ports = @($echoPort, $closed, $silent.LocalEndPoint.Port)
        $ours = @{}
        Test-UdpConnection -ComputerName 127.0.0.1 -Port $ports | ForEach-Object { $ours[$_.Port] = $_ }
        $nmap = Invoke-Nmap '127.0.0.1' $ports $null
    }
    AfterAll {
        Stop-TestProcess $echo
        $silent.Dispose()
    }

    It 'port <Name> is <Expected> for both, with the same reason' -ForEach @(
        @{ Name = 'echo (python)'; Index = 0; Expected = 'Open' }
        @{ Name = 'closed'; Index = 1; Expected = 'Closed' }
        @{ Name = 'silent'; Index = 2; Expected = 'OpenOrFiltered' }
    ) {
        $port = $ports[$Index]
        "$($ours[$port].Verdict)" | Should -Be $Expected
        $nmap[$port].Verdict | Should -Be $Expected
        $ours[$port].Reason | Should -Be $nmap[$port].Reason
    }
}

Describe "Test-UdpConnection and nmap agree across a router and firewalls (namespaces A - R - B)$netNote" -Skip:$skipNet {
    BeforeAll {
        $net = New-TestRoutedNetwork -LinkMtu 1500
        $b = $net.B.Address
        $dir = Join-Path $TestDrive 'b'
        $null = New-Item -ItemType Directory -Path $dir
        $nsB = $net.B.Namespace
        $daemons = [System.Collections.Generic.List[System.Diagnostics.Process]]::new()

        # B's firewall, and R's: reject and drop rules of the test's own, in their own tables.
        Set-Content "$dir/b.nft" @'
table inet psudp_probe {
    chain input {
        type filter hook input priority 0; policy accept;
        udp dport 1001 reject with icmpx type admin-prohibited
        udp dport 1002 reject with icmpx type host-unreachable
        udp dport 1003 drop
    }
}
'@
        Set-Content "$dir/r.nft" @'
table inet psudp_probe {
    chain forward {
        type filter hook forward priority 0; policy accept;
        udp dport 1004 reject with icmp type net-unreachable
    }
}
'@
        Invoke-In $nsB @('nft', '-f', "$dir/b.nft")
        Invoke-In $net.R.Namespace @('nft', '-f', "$dir/r.nft")

        # The services on their well-known ports, on B's address only.
        Set-Content "$dir/chrony.conf" 'port 123', "bindaddress $b", 'allow all', 'local stratum 8', 'cmdport 0', "pidfile $dir/chronyd.pid", "driftfile $dir/drift"
        Set-Content "$dir/snmpd.conf" 'rocommunity public', 'sysDescr PSUdp test agent'
        $start = @(
            , @('dnsmasq', '--keep-in-foreground', '--conf-file=/dev/null', '--port=53', "--listen-address=$b", '--bind-interfaces',
                '--no-resolv', '--no-hosts', "--pid-file=$dir/dnsmasq.pid", '--user=root', '--log-facility=-')
            , @('chronyd', '-f', "$dir/chrony.conf", '-x', '-d')
            , @('snmpd', '-f', '-Lo', '-I', '-smux', '-C', '-c', "$dir/snmpd.conf", '-p', "$dir/snmpd.pid", "--persistentDir=$dir", "udp:${b}:161")
            , @('turnserver', '-n', '--stun-only', '--no-cli', "--listening-ip=$b", '--listening-port=3478', "--userdb=$dir/turndb",
                "--pidfile=$dir/turnserver.pid", "--log-file=$dir/turnserver.log", '--no-tls', '--no-dtls')
        )
        foreach ($command in $start) {
            $daemons.Add((Start-TestProcess -FilePath (Get-Command $command[0] -CommandType Application)[0].Source -ArgumentList @($command | Select-Object -Skip 1) -Namespace $nsB -WorkingDirectory $dir))
        }
        $echo = Start-TestPeer udp_echo_server '--host', $b, '--port', '7', '--timeout', '300' -TestHost $nsB
        $daemons.Add($echo)
        $null = Wait-TestPeerListening $echo

        $ports = 7, 53, 123, 161, 3478, 1001, 1002, 1003, 1004, 1005
        # Wait (bounded) until every service answers its probe from A.
        $deadline = [DateTime]::UtcNow.AddSeconds(30)
        do {
            $ours = Invoke-TestUdpConnectionIn $net.A.Namespace "-ComputerName $b -Port 7, 53, 123, 161, 3478 -Retries 0 -TimeoutSeconds 1"
            $up = @($ours.Values | Where-Object Verdict -EQ 'Open').Count
        } until ($up -eq 5 -or [DateTime]::UtcNow -gt $deadline)

        $ours = Invoke-TestUdpConnectionIn $net.A.Namespace "-ComputerName $b -Port $($ports -join ',')"
        $nmap = Invoke-Nmap $b $ports $net.A.Namespace
        $verdicts = foreach ($p in $ports) {
            [pscustomobject]@{ Port = $p; PSUdp = $ours[$p].Verdict; nmap = $nmap[$p].Verdict; PSUdpReason = $ours[$p].Reason; nmapReason = $nmap[$p].Reason; IcmpSource = $ours[$p].IcmpSource; Answer = $ours[$p].Answer }
        }
        Write-Host ($verdicts | Format-Table -AutoSize | Out-String)
    }
    AfterAll {
        foreach ($d in $daemons) { Stop-TestProcess $d }
        if ($net) { Remove-TestBroadcastDomain $net }
    }

    It 'port <Port> (<What>): both say <Expected>, for the same reason' -ForEach @(
        @{ Port = 7; What = 'python echo'; Expected = 'Open'; Source = '' }
        @{ Port = 53; What = 'dnsmasq'; Expected = 'Open'; Source = '' }
        @{ Port = 123; What = 'chronyd'; Expected = 'Open'; Source = '' }
        @{ Port = 161; What = 'snmpd'; Expected = 'Open'; Source = '' }
        @{ Port = 3478; What = 'turnserver'; Expected = 'Open'; Source = '' }
        @{ Port = 1001; What = 'B rejects admin-prohibited'; Expected = 'Filtered'; Source = 'B' }
        @{ Port = 1002; What = 'B rejects host-unreachable'; Expected = 'Filtered'; Source = 'B' }
        @{ Port = 1003; What = 'B drops'; Expected = 'OpenOrFiltered'; Source = '' }
        @{ Port = 1004; What = 'R rejects net-unreachable'; Expected = 'Filtered'; Source = 'R' }
        @{ Port = 1005; What = 'nothing listens'; Expected = 'Closed'; Source = 'B' }
    ) {
        $ours[$Port].Verdict | Should -Be $Expected
        $nmap[$Port].Verdict | Should -Be $Expected
        $ours[$Port].Reason | Should -Be $nmap[$Port].Reason
        $expectedSource = switch ($Source) { 'B' { $net.B.Address } 'R' { $net.RouterAddressA } default { '' } }
        $ours[$Port].IcmpSource | Should -Be $expectedSource
    }

    It 'recognises each service''s answer: <Port>' -ForEach @(
        @{ Port = 7; Answer = '^echo of the probe$' }
        @{ Port = 53; Answer = '^DNS answer NOERROR: version\.bind "dnsmasq-' }
        @{ Port = 123; Answer = '^NTP server, stratum 8' }
        @{ Port = 161; Answer = '^SNMPv2c answer: sysDescr "PSUdp test agent"$' }
        @{ Port = 3478; Answer = '^STUN binding success, mapped address 192\.0\.2\.2:\d+' }
    ) {
        $ours[$Port].Recognized | Should -BeTrue
        $ours[$Port].Answer | Should -Match $Answer
    }

    It 'names the ICMP type and code: admin-prohibited 3/13, host-unreachable 3/1, R''s net-unreachable 3/0, closed 3/3' {
        "$($ours[1001].IcmpType)/$($ours[1001].IcmpCode)" | Should -Be '3/13'
        "$($ours[1002].IcmpType)/$($ours[1002].IcmpCode)" | Should -Be '3/1'
        "$($ours[1004].IcmpType)/$($ours[1004].IcmpCode)" | Should -Be '3/0'
        "$($ours[1005].IcmpType)/$($ours[1005].IcmpCode)" | Should -Be '3/3'
    }

    It 'Send-UdpDatagram -WaitForReply names the firewall: AdministrativelyProhibited from B, NetworkUnreachable from R' {
        $script = @"
Import-Module PSUdp
foreach (`$port in 1001, 1004) {
    try { Send-UdpDatagram -ComputerName $b -Port `$port -Message x -WaitForReply -TimeoutSeconds 2 -ErrorAction Stop }
    catch { 'ERROR {0} {1} {2}/{3}' -f `$_.FullyQualifiedErrorId, `$_.Exception.Icmp.Source, `$_.Exception.Icmp.Type, `$_.Exception.Icmp.Code }
}
"@
        $command = @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-Command', $script)
        $run = Invoke-TestProcess -FilePath $pwsh[0] -ArgumentList $command -Namespace $net.A.Namespace -TimeoutSeconds 60
        $lines = @($run.Output | Where-Object { $_ -like 'ERROR *' })
        $lines[0] | Should -Be "ERROR AdministrativelyProhibited,PSUdp.Commands.SendUdpDatagramCommand $b 3/13"
        $lines[1] | Should -Be "ERROR NetworkUnreachable,PSUdp.Commands.SendUdpDatagramCommand $($net.RouterAddressA) 3/0"
    }
}

Describe "Test-UdpConnection paces a host against its ICMP rate limit$netNote" -Skip:$skipNet {
    BeforeAll { $net = New-TestRoutedNetwork -LinkMtu 1500 }
    AfterAll { if ($net) { Remove-TestBroadcastDomain $net } }

    It 'finds 16 closed ports on B Closed, though B answers a burst of 6 ICMP errors and then one a second' {
        # B keeps Linux's default net.ipv4.icmp_ratelimit (1000 ms, a burst of 6 per destination).
        $limit = Invoke-TestProcess -FilePath 'sysctl' -ArgumentList @('-n', 'net.ipv4.icmp_ratelimit') -Namespace $net.B.Namespace
        "$($limit.Output)".Trim() | Should -Be '1000'
        $ours = Invoke-TestUdpConnectionIn $net.A.Namespace "-ComputerName $($net.B.Address) -Port (2001..2016) -Retries 0 -TimeoutSeconds 1"
        @($ours.Values | Where-Object Verdict -EQ 'Closed').Count | Should -Be 16
    }
}
