# Test-UdpConnection -Traceroute and -DiscoverMtu on routed chains of the test's own namespaces
# (TestHosts.psm1, New-TestRoutedChain): A - R1 - R2 - R3 - B with MTU 1400 on R1-R2 and 1280 on
# R2-R3-B, and A - R1 - (R2a | R2b) - R3 - B with R1 balancing by the layer-4 five-tuple. PSUdp
# runs in A as a child pwsh of the built module; traceroute -U, tracepath and mtr -u are the referees.

BeforeDiscovery {
    Import-Module "$PSScriptRoot/TestHosts.psm1" -Force
    $support = Test-CanCreateNetworkNamespace
    $missing = @('traceroute', 'tracepath', 'mtr', 'nft' | Where-Object { -not (Get-Command $_ -CommandType Application -ErrorAction SilentlyContinue) })
    $skip = -not $support.CanCreate -or $missing.Count -gt 0
    $why = if (-not $support.CanCreate) { $support.Reason } elseif ($missing) { "referees missing: $($missing -join ', ') (.ci/run installs them)" } else { '' }
    $families = @(@{ Family = 'IPv4' }, @{ Family = 'IPv6' })
    Import-Module "$PSScriptRoot/../../tools/MarkdownHelp.psm1" -Force
    $page = Read-MarkdownHelp -Path "$PSScriptRoot/../../docs/en-US/Test-UdpConnection.md"
    $traceExamples = @($page.Examples | Where-Object Code -Match '-Traceroute' | ForEach-Object { @{ Title = $_.Title; Code = $_.Code } })
}

BeforeAll {
    Import-Module "$PSScriptRoot/TestHosts.psm1" -Force
    $pwsh = Get-TestPwsh
    $port = 33434

    # PSUdp in a namespace: each hop as one line 'HOP <n> <address|*> <status> <mtu> <pathmtu> <verdict> <responders>'.
    function Invoke-Trace([string] $Namespace, [string] $Arguments, [double] $TimeoutSeconds = 60) {
        $script = "Import-Module PSUdp; Test-UdpConnection $Arguments -Traceroute | ForEach-Object { 'HOP {0} {1} {2} {3} {4} {5} {6}' -f `$_.Hop, `$(if (`$_.Address) { `$_.Address } else { '*' }), `$_.Status, `$_.Mtu, `$_.PathMtu, `$_.Verdict, ((`$_.Responders | ForEach-Object { if (`$_) { `$_ } else { '*' } }) -join ',') }"
        $result = Invoke-TestProcess -FilePath $pwsh[0] -ArgumentList (@($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-Command', $script)) -Namespace $Namespace -TimeoutSeconds $TimeoutSeconds
        $result.ExitCode | Should -Be 0 -Because ($result.Error -join "`n")
        $result.Error | Should -BeNullOrEmpty
        @($result.Output | Where-Object { $_ -like 'HOP *' } | ForEach-Object {
                $f = $_ -split ' '
                [pscustomobject]@{
                    Hop = [int] $f[1]; Router = $f[2]; Status = $f[3]; Mtu = $f[4]; PathMtu = $f[5]; Verdict = $f[6]
                    Responders = @($f[7] -split ',')
                }
            })
    }

    function Invoke-Referee([string] $Namespace, [string[]] $Command) {
        $result = Invoke-TestProcess -FilePath $Command[0] -ArgumentList @($Command | Select-Object -Skip 1) -Namespace $Namespace -TimeoutSeconds 60
        $result.ExitCode | Should -Be 0 -Because "$($Command -join ' '): $($result.Error -join "`n")"
        @($result.Output)
    }

    # traceroute: ' 2  198.51.100.18  0.459 ms  198.51.100.82  0.5 ms  *' -> Hop, Router (the first), Routers (every address, or '*').
    function ConvertFrom-Traceroute([string[]] $Lines) {
        foreach ($line in $Lines) {
            if ($line -match '^\s*(\d+)\s+(.*)$') {
                $hop = [int] $Matches[1]; $rest = $Matches[2]
                $routers = @(-split $rest | Where-Object { $_ -eq '*' -or ($_ -match '^[0-9a-f]*[.:][0-9a-f.:]*$' -and $_ -match '[.:].*[.:]') })
                [pscustomobject]@{ Hop = $hop; Router = $routers[0]; Routers = $routers; Line = $rest }
            }
        }
    }

    # tracepath: ' 2:  198.51.100.18   0.017ms pmtu 1400' -> Address (the hop's last line) and Mtu by hop; the 'Resume' path MTU.
    function ConvertFrom-Tracepath([string[]] $Lines) {
        $hops = @{}; $mtus = [System.Collections.Generic.List[object]]::new(); $path = $null
        foreach ($line in $Lines) {
            if ($line -match '^\s*(\d+):\s+(\S+)') {
                $hop = [int] $Matches[1]
                $hops[$hop] = if ($Matches[2] -eq 'no') { '*' } else { $Matches[2] }
                if ($line -match 'pmtu (\d+)') { $mtus.Add([pscustomobject]@{ Hop = $hop; Mtu = [int] $Matches[1] }) }
            }
            if ($line -match 'Resume: pmtu (\d+)') { $path = [int] $Matches[1] }
        }
        $list = @($hops.Keys | Sort-Object | ForEach-Object { [pscustomobject]@{ Hop = $_; Router = $hops[$_] } })
        [pscustomobject]@{ Hops = $list; Mtus = @($mtus); PathMtu = $path }
    }

    # mtr --report: '  2.|-- 198.51.100.18   0.0% ...' -> hop -> address ('???' for none).
    function ConvertFrom-Mtr([string[]] $Lines) {
        foreach ($line in $Lines) {
            if ($line -match '^\s*(\d+)\.\|--\s+(\S+)') { [pscustomobject]@{ Hop = [int] $Matches[1]; Router = $(if ($Matches[2] -eq '???') { '*' } else { $Matches[2] }) } }
        }
    }

    function Get-Target($Chain, [string] $Family) { if ($Family -eq 'IPv6') { $Chain.B.Address6 } else { $Chain.B.Address } }
    function Get-Address($Node, [string] $Family) { if ($Family -eq 'IPv6') { $Node.Address6 } else { $Node.Address } }

    # tracepath starts from the path MTU this host learned; a trace before it taught it the chain's.
    function Clear-PathMtu([string] $Namespace) {
        $null = Invoke-Referee $Namespace @('ip', 'route', 'flush', 'cache')
        $null = Invoke-Referee $Namespace @('ip', '-6', 'route', 'flush', 'cache')
    }

    function Invoke-Nft([string] $Namespace, [string] $Ruleset) {
        $file = Join-Path $TestDrive "rules-$([guid]::NewGuid()).nft"
        Set-Content -LiteralPath $file -Value $Ruleset
        $null = Invoke-Referee $Namespace @('nft', '-f', $file)
    }
}

Describe 'A trace of the chain A - R1 - R2 - R3 - B' -Skip:$skip {
    BeforeAll { $chain = New-TestRoutedChain -Prefix putrc }
    AfterAll { Remove-TestBroadcastDomain $chain }

    It 'lists the hops traceroute -U -n, tracepath -n and mtr -u -n --report list (<Family>)' -ForEach $families {
        $target = Get-Target $chain $Family
        $hops = Invoke-Trace $chain.A.Namespace "-ComputerName $target -Port $port"
        $expected = @($chain.R1, $chain.R2, $chain.R3, $chain.B | ForEach-Object { Get-Address $_ $Family })
        @($hops.Hop) | Should -Be @(1, 2, 3, 4)
        @($hops.Router) | Should -Be $expected
        @($hops.Status) | Should -Be @('TimeExceeded', 'TimeExceeded', 'TimeExceeded', 'PortUnreachable')
        foreach ($hop in $hops) { @($hop.Responders | Select-Object -Unique) | Should -Be @($hop.Router) -Because 'each of the three probes of a hop is answered' }

        $traceroute = @(ConvertFrom-Traceroute (Invoke-Referee $chain.A.Namespace @('traceroute', '-U', '-n', '-q', '1', '-w', '2', '-p', "$port", $target)))
        @($traceroute.Hop) | Should -Be @($hops.Hop)
        @($traceroute.Router) | Should -Be @($hops.Router)

        Clear-PathMtu $chain.A.Namespace
        $tracepath = ConvertFrom-Tracepath (Invoke-Referee $chain.A.Namespace @('tracepath', '-n', '-p', "$port", $target))
        @($tracepath.Hops.Hop) | Should -Be @($hops.Hop)
        @($tracepath.Hops.Router) | Should -Be @($hops.Router)

        $mtr = @(ConvertFrom-Mtr (Invoke-Referee $chain.A.Namespace @('mtr', '-u', '-n', '--report', '-c', '2', $target)))
        @($mtr.Hop) | Should -Be @($hops.Hop)
        @($mtr.Router) | Should -Be @($hops.Router)
    }

    It 'the last hop carries the verdict plain Test-UdpConnection gives: Closed for a closed port, Open for an echo (<Family>)' -ForEach $families {
        $target = Get-Target $chain $Family
        $echo = Start-TestPeer udp_echo_server @('--host', $(if ($Family -eq 'IPv6') { '::' } else { '0.0.0.0' }), '--port', '0') -TestHost $chain.B.Namespace
        try {
            $open = Wait-TestPeerListening $echo -TimeoutSeconds 30
            foreach ($case in @(@{ Port = $port; Verdict = 'Closed'; Status = 'PortUnreachable' }, @{ Port = $open; Verdict = 'Open'; Status = 'Reply' })) {
                $last = (Invoke-Trace $chain.A.Namespace "-ComputerName $target -Port $($case.Port)")[-1]
                $plain = Invoke-Referee $chain.A.Namespace (@($pwsh) + @('-NoProfile', '-NonInteractive', '-Command', "Import-Module PSUdp; (Test-UdpConnection -ComputerName $target -Port $($case.Port)).Verdict"))
                $last.Hop | Should -Be 4
                $last.Status | Should -Be $case.Status
                $last.Verdict | Should -Be $case.Verdict
                @($plain)[-1] | Should -Be $last.Verdict
            }
        }
        finally { Stop-TestProcess $echo -Kill }
    }

    It 'finds the MTU of each hop where it drops and the path MTU, as tracepath does (<Family>)' -ForEach $families {
        $target = Get-Target $chain $Family
        Clear-PathMtu $chain.A.Namespace
        $hops = Invoke-Trace $chain.A.Namespace "-ComputerName $target -Port $port -DiscoverMtu"
        Clear-PathMtu $chain.A.Namespace
        $tracepath = ConvertFrom-Tracepath (Invoke-Referee $chain.A.Namespace @('tracepath', '-n', '-p', "$port", $target))
        @($hops.Router) | Should -Be @($tracepath.Hops.Router)
        $mtus = @($hops | Where-Object Mtu)
        @($mtus.Hop) | Should -Be @($tracepath.Mtus.Hop)
        @($mtus.Mtu | ForEach-Object { [int] $_ }) | Should -Be @($tracepath.Mtus.Mtu)
        @($mtus.Mtu | ForEach-Object { [int] $_ }) | Should -Be @($chain.Mtu2, $chain.Mtu3)
        [int] $hops[-1].PathMtu | Should -Be $tracepath.PathMtu
        @($hops.PathMtu | ForEach-Object { [int] $_ }) | Should -Be @(1500, $chain.Mtu2, $chain.Mtu3, $chain.Mtu3)
    }

    It 'a hop whose time exceeded R2 drops is NoReply (*), and the trace goes on past it (<Family>)' -ForEach $families {
        $target = Get-Target $chain $Family
        Invoke-Nft $chain.R2.Namespace "table inet putrdrop {`n chain out {`n type filter hook output priority 0;`n icmp type time-exceeded drop`n icmpv6 type time-exceeded drop`n }`n}"
        try {
            $hops = Invoke-Trace $chain.A.Namespace "-ComputerName $target -Port $port"
            $traceroute = @(ConvertFrom-Traceroute (Invoke-Referee $chain.A.Namespace @('traceroute', '-U', '-n', '-q', '1', '-w', '1', '-p', "$port", $target)))
        }
        finally { $null = Invoke-Referee $chain.R2.Namespace @('nft', 'delete', 'table', 'inet', 'putrdrop') }
        @($hops.Hop) | Should -Be @(1, 2, 3, 4)
        $hops[1].Router | Should -Be '*'
        $hops[1].Status | Should -Be 'NoReply'
        @($hops[1].Responders) | Should -Be @('*', '*', '*')
        @($hops[0, 2, 3].Router) | Should -Be @(@($chain.R1, $chain.R3, $chain.B) | ForEach-Object { Get-Address $_ $Family })
        @($traceroute.Router) | Should -Be @($hops.Router)
    }

    It 'an nft reject on R3 ends the trace at R3 with AdministrativelyProhibited, as traceroute''s !X and Test-UdpConnection''s Filtered (<Family>)' -ForEach $families {
        $target = Get-Target $chain $Family
        $r3 = Get-Address $chain.R3 $Family
        Invoke-Nft $chain.R3.Namespace "table inet putrrej {`n chain filter_forward {`n type filter hook forward priority 0;`n udp dport $port reject with icmpx type admin-prohibited`n }`n}"
        try {
            $hops = Invoke-Trace $chain.A.Namespace "-ComputerName $target -Port $port"
            $traceroute = @(ConvertFrom-Traceroute (Invoke-Referee $chain.A.Namespace @('traceroute', '-U', '-n', '-q', '1', '-w', '1', '-p', "$port", $target)))
            $plain = Invoke-Referee $chain.A.Namespace (@($pwsh) + @('-NoProfile', '-NonInteractive', '-Command', "Import-Module PSUdp; Test-UdpConnection -ComputerName $target -Port $port | ForEach-Object { 'RESULT {0} {1}' -f `$_.Verdict, `$_.IcmpSource }"))
        }
        finally { $null = Invoke-Referee $chain.R3.Namespace @('nft', 'delete', 'table', 'inet', 'putrrej') }
        # The probes whose TTL ends at R3 get its time exceeded (TTL is checked before the forward
        # hook); the next hop's reach the rule and end the trace, from R3.
        @($hops.Hop) | Should -Be @(1, 2, 3, 4)
        @($hops.Router) | Should -Be @($traceroute.Router)
        @($hops[2, 3].Router) | Should -Be @($r3, $r3)
        @($hops.Status) | Should -Be @('TimeExceeded', 'TimeExceeded', 'TimeExceeded', 'AdministrativelyProhibited')
        $hops[-1].Verdict | Should -Be 'Filtered'
        $traceroute[-1].Line | Should -Match '!X'
        @($plain)[-1] | Should -Be "RESULT Filtered $r3"
    }

    It 'the help example "<Title>" runs in A' -ForEach $traceExamples {
        $code = $Code -replace '198\.51\.100\.50', $chain.B.Address -replace '2001:db8:74::2', $chain.B.Address6
        $result = Invoke-TestProcess -FilePath $pwsh[0] -ArgumentList (@($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-Command', "`$ErrorActionPreference = 'Stop'; Import-Module PSUdp; $code")) -Namespace $chain.A.Namespace -TimeoutSeconds 60
        $result.ExitCode | Should -Be 0 -Because ($result.Error -join "`n")
        $result.Error | Should -BeNullOrEmpty
        # Each example shows the destination or the router before it.
        ($result.Output -join "`n") | Should -Match (@($chain.R3.Address, $chain.R3.Address6, $chain.B.Address, $chain.B.Address6 | ForEach-Object { [regex]::Escape($_) + '\b' }) -join '|')
    }
}

Describe 'about_PSUdp''s trace example' -Skip:$skip {
    BeforeAll { $chain = New-TestRoutedChain -Prefix putra }
    AfterAll { Remove-TestBroadcastDomain $chain }

    It 'runs in A and lists the chain''s hops and its path MTU' {
        $about = Get-Content -Raw "$PSScriptRoot/../../docs/en-US/about_PSUdp.md"
        $section = ($about -split '(?m)^## ')[1..99] | Where-Object { $_ -like 'TRACING THE PATH*' }
        $code = [regex]::Match($section, '(?s)```powershell\r?\n(.*?)```').Groups[1].Value -replace '198\.51\.100\.50', $chain.B.Address
        $code | Should -Match '-Traceroute'
        $result = Invoke-TestProcess -FilePath $pwsh[0] -ArgumentList (@($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-Command', "`$ErrorActionPreference = 'Stop'; Import-Module PSUdp; $code | Out-String -Width 200")) -Namespace $chain.A.Namespace -TimeoutSeconds 60
        $result.ExitCode | Should -Be 0 -Because ($result.Error -join "`n")
        $text = $result.Output -join "`n"
        foreach ($node in $chain.R1, $chain.R2, $chain.R3, $chain.B) { $text | Should -Match ([regex]::Escape($node.Address) + '\b') }
        $text | Should -Match '\b1280\b'
    }
}

Describe 'A trace through R1 that balances by flow (ECMP on the layer-4 five-tuple)' -Skip:$skip {
    BeforeAll {
        $chain = New-TestRoutedChain -Prefix putre -Ecmp
        $branches = @{ IPv4 = @($chain.R2A.Address, $chain.R2B.Address); IPv6 = @($chain.R2A.Address6, $chain.R2B.Address6) }
    }
    AfterAll { Remove-TestBroadcastDomain $chain }

    It 'every probe of one trace takes one branch: hop 2 is one of R2a, R2b for all of them (<Family>)' -ForEach $families {
        $target = Get-Target $chain $Family
        foreach ($trace in 1..3) {
            $hops = Invoke-Trace $chain.A.Namespace "-ComputerName $target -Port $port -Count 6"
            @($hops.Hop) | Should -Be @(1, 2, 3, 4)
            $second = @($hops[1].Responders | Select-Object -Unique)
            $second.Count | Should -Be 1 -Because "trace $trace kept one five-tuple"
            $second[0] | Should -BeIn $branches[$Family]
        }
    }

    It '-VaryPort and traceroute -U see both branches at hop 2 (<Family>)' -ForEach $families {
        $target = Get-Target $chain $Family
        $hops = Invoke-Trace $chain.A.Namespace "-ComputerName $target -Port $port -Count 10 -VaryPort -MaxHops 2"
        @($hops[1].Responders | Sort-Object -Unique) | Should -Be @($branches[$Family] | Sort-Object)
        $traceroute = @(ConvertFrom-Traceroute (Invoke-Referee $chain.A.Namespace @('traceroute', '-U', '-n', '-q', '10', '-w', '1', '-m', '2', '-p', "$port", $target)))
        @($traceroute[1].Routers | Where-Object { $_ -ne '*' } | Sort-Object -Unique) | Should -Be @($branches[$Family] | Sort-Object)
    }
}

Describe 'Pacing against routers with the default ICMP rate limit' -Skip:$skip {
    BeforeAll { $chain = New-TestRoutedChain -Prefix putrp -DefaultIcmpRateLimit }
    AfterAll { Remove-TestBroadcastDomain $chain }

    It 'eight probes per hop are all answered: the probes beyond a router''s burst of 6 are spaced' {
        $hops = Invoke-Trace $chain.A.Namespace "-ComputerName $($chain.B.Address) -Port $port -Count 8 -TimeoutSeconds 2"
        @($hops.Hop) | Should -Be @(1, 2, 3, 4)
        foreach ($hop in $hops) { @($hop.Responders | Where-Object { $_ -eq '*' }).Count | Should -Be 0 -Because "hop $($hop.Hop) answered every probe" }
    }
}

Describe 'A trace on loopback' {
    BeforeAll {
        Import-Module PSUdp
        Import-Module "$PSScriptRoot/PSUdpTestUtilities.psm1" -Force
    }

    It 'shows traceroute''s columns, live and after Import-Clixml (<Address>)' -ForEach @(@{ Address = '127.0.0.1' }, @{ Address = '::1' }) {
        $closed = Get-FreeUdpPort -Address $Address
        $hops = @(Test-UdpConnection -ComputerName $Address -Port $closed -Traceroute)
        $hops.Count | Should -Be 1
        $hops[0].Verdict | Should -Be 'Closed'
        $file = Join-Path $TestDrive 'hops.xml'
        $hops | Export-Clixml -LiteralPath $file
        foreach ($shown in @($hops[0], (Import-Clixml -LiteralPath $file))) {
            $row = @(ConvertFrom-TableText ($shown | Format-Table | Out-String -Width 200))[0]
            $row.Hop | Should -Be '1'
            $row.Address | Should -Be $Address
            $row.RoundTrips | Should -Match '^\d+\.\d{3} ms  \d+\.\d{3} ms  \d+\.\d{3} ms$'
            $row.Status | Should -Be 'PortUnreachable'
        }
    }

    It 'Ctrl+C stops a trace that waits, and leaves no socket' {
        # A bound socket that never answers: every probe waits its whole timeout.
        $silent = New-TestPeer
        try {
            $sockets = Get-OpenSocketCount
            $run = Start-InRunspace "Test-UdpConnection -ComputerName 127.0.0.1 -Port $($silent.LocalEndPoint.Port) -Traceroute -TimeoutSeconds 600 -MaxHops 255"
            $null = Stop-InRunspace $run { (Get-OpenSocketCount) -gt $sockets } -Seconds 20
            Wait-Until { (Get-OpenSocketCount) -le $sockets } -Seconds 10 | Should -BeTrue -Because 'the trace closes its socket when stopped'
            $run.Output.Count | Should -Be 0 -Because 'no hop was settled before the stop'
        }
        finally { $silent.Dispose() }
    }
}
