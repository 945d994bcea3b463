# In this (the machine's own) namespace, broadcasts go to 127.255.255.255 only. The limited
# broadcast and directed broadcasts are tested inside namespaces this file makes.
BeforeDiscovery {
    Import-Module "$PSScriptRoot/TestHosts.psm1" -Force
    $netns = Test-CanCreateNetworkNamespace
    $canNetns = $netns.CanCreate
    $netnsNote = if ($canNetns) { '' } else { " [skipped: $($netns.Reason)]" }
}

BeforeAll {
    Import-Module PSUdp
    Import-Module "$PSScriptRoot/PSUdpTestUtilities.psm1" -Force
    Import-Module "$PSScriptRoot/TestHosts.psm1" -Force
    $S = 'PSUdp.Commands.SendUdpBroadcastCommand'
}

Describe 'Send-UdpBroadcast on loopback' {
    It 'reaches a receiver, whose LocalAddress shows the broadcast address' {
        $job = Receive-UdpDatagram -Port 0 -Count 1 -AsJob
        try {
            $sent = Send-UdpBroadcast -Port $job.LocalPort -BroadcastAddress 127.255.255.255 -Message '请输入要发送的数据' -PassThru
            $sent.RemoteAddress | Should -Be ([ipaddress]'127.255.255.255')
            $got = $job | Wait-Job -Timeout 10 | Receive-Job
            $got.Text | Should -BeExactly '请输入要发送的数据'
            $got.LocalAddress | Should -Be ([ipaddress]'127.255.255.255')
        }
        finally { $job | Remove-Job -Force }
    }

    It 'collects the reply of an echo server' {
        $echo = Start-UdpEcho -Port 0 -LocalAddress 0.0.0.0 -AsJob
        try {
            $replies = @(Send-UdpBroadcast -Port $echo.LocalPort -BroadcastAddress 127.255.255.255 -Hex '00FF' -WaitForReply -TimeoutSeconds 5)
            $replies.Count | Should -Be 1
            $replies[0].Hex | Should -BeExactly '00FF'
            $replies[0].RemotePort | Should -Be $echo.LocalPort
        }
        finally { $echo | Remove-Job -Force }
    }

    It 'stops at -Count replies' {
        $echo = Start-UdpEcho -Port 0 -LocalAddress 0.0.0.0 -AsJob
        try {
            $clock = [Diagnostics.Stopwatch]::StartNew()
            @(Send-UdpBroadcast -Port $echo.LocalPort -BroadcastAddress 127.255.255.255 -Message 'x' -WaitForReply -TimeoutSeconds 5 -Count 1).Count | Should -Be 1
            $clock.Elapsed.TotalSeconds | Should -BeLessThan 4
        }
        finally { $echo | Remove-Job -Force }
    }

    It 'warns, and does not fail, when nobody replies' {
        $warnings = $null
        $errors = $null
        $replies = @(Send-UdpBroadcast -Port (Get-ClosedUdpPort) -BroadcastAddress 127.255.255.255 -Message 'x' -WaitForReply -TimeoutSeconds 0.3 -WarningVariable warnings -ErrorVariable errors -WarningAction SilentlyContinue)
        $replies.Count | Should -Be 0
        @($errors).Count | Should -Be 0
        "$warnings" | Should -Match 'No host replied'
    }

    It 'completes -InterfaceName with this computer''s names, bare, and quotes names that need it' {
        $line = 'Send-UdpBroadcast -Port 9 -Message x -InterfaceName l'
        $completions = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches
        $completions.CompletionText | Should -Contain 'lo'
        # Linux names cannot hold spaces; Windows names such as 'Ethernet 2' can, so the quoting is tested directly.
        $quote = [PSUdp.Commands.InterfaceNameCompleter].GetMethod('Quote', [Reflection.BindingFlags] 'NonPublic, Static')
        $quote.Invoke($null, @('Ethernet 2', $false)) | Should -BeExactly "'Ethernet 2'"
        $quote.Invoke($null, @("Bob's LAN", $false)) | Should -BeExactly "'Bob''s LAN'"
        $quote.Invoke($null, @('Ethernet 2', $true)) | Should -BeExactly '"Ethernet 2"'
        $quote.Invoke($null, @('eth0', $false)) | Should -BeExactly 'eth0'
    }

    It '-WhatIf sends nothing' {
        $job = Receive-UdpDatagram -Port 0 -TimeoutSeconds 0.5 -AsJob
        try {
            Send-UdpBroadcast -Port $job.LocalPort -BroadcastAddress 127.255.255.255 -Message 'x' -WhatIf
            @($job | Wait-Job -Timeout 5 | Receive-Job).Count | Should -Be 0
        }
        finally { $job | Remove-Job -Force }
    }

    Context 'bad input' {
        It 'an unknown interface' {
            $err = { Send-UdpBroadcast -Port 9 -InterfaceName 'nosuch0' -Message 'x' } | Should -Throw -ErrorId "InterfaceNotFound,$S" -PassThru
            $err.Exception.Message | Should -Match "nosuch0.*interfaces here are"
        }
        It 'port <_> is out of range' -ForEach 0, 65536 {
            { Send-UdpBroadcast -Port $_ -BroadcastAddress 127.255.255.255 -Message 'x' } | Should -Throw -ErrorId "ParameterArgumentValidationError,$S"
        }
        It 'an oversize payload' {
            { Send-UdpBroadcast -Port 9 -BroadcastAddress 127.255.255.255 -Payload ([byte[]]::new(65508)) -ErrorAction Stop } | Should -Throw -ErrorId "PayloadTooLarge,$S"
        }
        It '-Count 0' {
            { Send-UdpBroadcast -Port 9 -BroadcastAddress 127.255.255.255 -Message 'x' -WaitForReply -Count 0 } | Should -Throw -ErrorId "ParameterArgumentValidationError,$S"
        }
        It 'a negative timeout' {
            { Send-UdpBroadcast -Port 9 -BroadcastAddress 127.255.255.255 -Message 'x' -WaitForReply -TimeoutSeconds -1 } | Should -Throw -ErrorId "ParameterArgumentValidationError,$S"
        }
        It '-InterfaceName with -BroadcastAddress' {
            { Send-UdpBroadcast -Port 9 -InterfaceName lo -BroadcastAddress 127.255.255.255 -Message 'x' } | Should -Throw -ErrorId "ConflictingDestination,$S"
        }
        It 'an IPv6 broadcast address' {
            { Send-UdpBroadcast -Port 9 -BroadcastAddress ::1 -Message 'x' } | Should -Throw -ErrorId "AddressFamilyMismatch,$S"
        }
    }
}

Describe "Send-UdpBroadcast in a broadcast domain of three hosts$netnsNote" -Skip:(-not $canNetns) {
    BeforeAll {
        $domain = New-TestBroadcastDomain -Prefix ('pb' + (Get-Random -Minimum 1000 -Maximum 9999)) -HostCount 3 -IsolatedHostCount 1
        $port = 7788
        $python = Get-TestPython
        $peers = Join-Path (Split-Path $PSScriptRoot) 'peers'

        # PSUdp in a host's own pwsh (TestHosts); the script prints what the test reads.
        function Invoke-PSUdp([string] $HostName, [string] $Script) { Invoke-PSUdpInTestHost $domain.GetHost($HostName) $Script -TimeoutSeconds 30 }
        # Echo servers (or receivers) on the wildcard in the named hosts, each printing LISTENING once bound.
        function Start-Listeners([string[]] $Names, [string] $Cmdlet, [string] $Extra = '') {
            Start-PSUdpListenerInTestHost -Domain $domain -HostName $Names -Cmdlet $Cmdlet -Port $port -Arguments "-LocalAddress 0.0.0.0 -TimeoutSeconds 20 $Extra" -TimeoutSeconds 30
        }
        function Stop-Listeners($Listeners) {
            $got = @{}
            foreach ($n in $Listeners.Keys) { $got[$n] = @(Stop-TestProcess $Listeners[$n] -PassThru | Where-Object { $_ -like 'GOT *' }) }
            $got
        }
    }
    AfterAll { Remove-TestBroadcastDomain $domain }

    It 'the limited broadcast from A reaches the echo servers in B and C: exactly two replies' {
        $echoes = Start-Listeners 'b', 'c', 'd' 'Start-UdpEcho' '-Count 1'
        $lines = Invoke-PSUdp 'a' "Send-UdpBroadcast -Port $port -Message 'who is there' -WaitForReply -TimeoutSeconds 5 | ForEach-Object { 'REPLY ' + `$_.RemoteAddress + ' ' + `$_.Text }"
        $replies = @($lines | Where-Object { $_ -like 'REPLY *' })
        $replies.Count | Should -Be 2
        @($replies | ForEach-Object { ($_ -split ' ')[1] } | Sort-Object) | Should -Be @('198.51.100.12', '198.51.100.13')
        $got = Stop-Listeners $echoes
        $got['b'].Count | Should -Be 1
        $got['c'].Count | Should -Be 1
        $got['b'][0] | Should -Match '^GOT 198\.51\.100\.11 255\.255\.255\.255 who is there$'
        $got['d'].Count | Should -Be 0 -Because 'the isolated host is on another bridge'
    }

    It '-InterfaceName eth0 sends the directed broadcast; B and C see 198.51.100.255' {
        $receivers = Start-Listeners 'b', 'c', 'd' 'Receive-UdpDatagram' '-Count 1'
        $lines = Invoke-PSUdp 'a' "Send-UdpBroadcast -Port $port -InterfaceName eth0 -Message 'directed' -PassThru -Verbose 4>&1 | ForEach-Object { `"`$_`" }"
        ($lines -join "`n") | Should -Match 'eth0 \(198\.51\.100\.11\)'
        $got = Stop-Listeners $receivers
        $got['b'] | Should -Be 'GOT 198.51.100.11 198.51.100.255 directed'
        $got['c'] | Should -Be 'GOT 198.51.100.11 198.51.100.255 directed'
        $got['d'].Count | Should -Be 0
    }

    It 'the python broadcaster in A gets replies from Start-UdpEcho in B and C' {
        $echoes = Start-Listeners 'b', 'c' 'Start-UdpEcho'
        $lines = @(Invoke-InTestHost -TestHost $domain.GetHost('a') -ArgumentList $python, "$peers/udp_broadcaster.py", $port, '--text', '请输入要发送的数据', '--timeout', '2')
        $replies = @($lines | Where-Object { $_ -like 'REPLY *' })
        @($replies | ForEach-Object { ($_ -split ' ')[1] } | Sort-Object) | Should -Be @('198.51.100.12', '198.51.100.13')
        $replies | ForEach-Object { ($_ -split ' ')[3].ToUpperInvariant() | Should -BeExactly ([Convert]::ToHexString([Text.Encoding]::UTF8.GetBytes('请输入要发送的数据'))) }
        Stop-Listeners $echoes | Out-Null
    }

    It 'Receive-UdpDatagram in B and C receives the python broadcaster''s datagram' {
        $receivers = Start-Listeners 'b', 'c' 'Receive-UdpDatagram' '-Count 1'
        Invoke-InTestHost -TestHost $domain.GetHost('a') -ArgumentList $python, "$peers/udp_broadcaster.py", $port, '--text', 'from python', '--timeout', '0.5' | Out-Null
        $got = Stop-Listeners $receivers
        $got['b'] | Should -Be 'GOT 198.51.100.11 255.255.255.255 from python'
        $got['c'] | Should -Be 'GOT 198.51.100.11 255.255.255.255 from python'
    }

    It 'an interface that is down, and one without an IPv4 address, are clear errors' {
        $a = $domain.GetHost('a')
        # veth pairs (this kernel has no dummy links): dn0 stays down; nb0 is up with no IPv4 address.
        Invoke-InTestHost -TestHost $a -ArgumentList ip, link, add, dn0, type, veth, peer, name, dn1 | Out-Null
        Invoke-InTestHost -TestHost $a -ArgumentList ip, link, add, nb0, type, veth, peer, name, nb1 | Out-Null
        Invoke-InTestHost -TestHost $a -ArgumentList ip, link, set, nb0, up | Out-Null
        Invoke-InTestHost -TestHost $a -ArgumentList ip, link, set, nb1, up | Out-Null
        $lines = Invoke-PSUdp 'a' "foreach (`$i in 'dn0', 'nb0') { try { Send-UdpBroadcast -Port $port -InterfaceName `$i -Message x } catch { 'ERROR ' + `$_.FullyQualifiedErrorId } }"
        $lines | Should -Contain "ERROR InterfaceDown,$S"
        $lines | Should -Contain "ERROR NoBroadcastAddress,$S"
    }
}
