# Multicast. NETWORK RULE: from the machine's own namespace, multicast goes only out of
# lo, with the interface named (python's sender refuses anything else); every other case runs in
# namespaces this file makes (tests/Pester/TestHosts.psm1), on bridges with IGMP/MLD snooping.
BeforeDiscovery {
    Import-Module "$PSScriptRoot/TestHosts.psm1" -Force
    $netns = Test-CanCreateNetworkNamespace
    $canNetns = $netns.CanCreate
    $netnsNote = if ($canNetns) { '' } else { " [skipped: $($netns.Reason)]" }
    $missing = @('tcpdump', 'socat', 'bridge' | Where-Object { -not (Get-Command $_ -CommandType Application -ErrorAction Ignore) })
    if ($canNetns -and $missing) {
        $canNetns = $false
        $netnsNote = " [skipped: $($missing -join ', ') not installed (.ci/run installs them)]"
    }
}

BeforeAll {
    Import-Module PSUdp
    Import-Module "$PSScriptRoot/PSUdpTestUtilities.psm1" -Force
    Import-Module "$PSScriptRoot/TestHosts.psm1" -Force
    $R = 'PSUdp.Commands.ReceiveUdpDatagramCommand'
    $E = 'PSUdp.Commands.StartUdpEchoCommand'
    $peers = Join-Path (Split-Path $PSScriptRoot) 'peers'

    # A group of 239.0.0.0/8 (administratively scoped) that no other test uses at the same time.
    function New-TestGroup { "239.$(Get-Random -Minimum 100 -Maximum 199).$(Get-Random -Maximum 255).$(Get-Random -Minimum 1 -Maximum 255)" }

    # Whether lo holds a membership of the group (ip maddr, as an admin checks it).
    function Test-LoMember([string] $Group) {
        [bool] (@(& ip maddr show dev lo) -match "\b$([regex]::Escape($Group))$")
    }

    # One datagram to the group out of lo, looped back to this host, from python (an independent sender).
    function Send-ToGroupOnLo([string] $Group, [int] $Port, [string] $Text) {
        & python3 (Join-Path $peers 'udp_multicast.py') send --group $Group --port $Port --interface lo --loop --text $Text | Should -Match '^SENT '
    }
}

Describe 'Joining groups on lo' {
    It 'Receive-UdpDatagram joins on lo, writes the group as LocalAddress, and leaves at -Count' {
        $group = New-TestGroup
        $job = Receive-UdpDatagram -Port 0 -MulticastGroup $group -InterfaceName lo -Count 1 -TimeoutSeconds 20 -AsJob
        try {
            Test-LoMember $group | Should -BeTrue
            Send-ToGroupOnLo $group $job.LocalPort 'to the group'
            $got = @($job | Wait-Job -Timeout 20 | Receive-Job)
            $got.Count | Should -Be 1
            $got[0].Text | Should -BeExactly 'to the group'
            $got[0].LocalAddress | Should -Be ([ipaddress] $group)
            $job.State | Should -Be 'Completed'
            Test-LoMember $group | Should -BeFalse
        }
        finally { $job | Remove-Job -Force }
    }

    It 'Stop-Job while joined leaves the group and frees the port' {
        $group = New-TestGroup
        $port = Get-ClosedUdpPort
        $job = Receive-UdpDatagram -Port $port -LocalAddress 0.0.0.0 -MulticastGroup $group -InterfaceName lo -AsJob
        try {
            Test-LoMember $group | Should -BeTrue
            $job | Stop-Job
            $job.State | Should -Be 'Stopped'
            Test-LoMember $group | Should -BeFalse
            Test-UdpPortFree $port -Address 0.0.0.0 | Should -BeTrue
        }
        finally { $job | Remove-Job -Force }
    }

    It 'Ctrl+C while joined leaves the group and frees the port' {
        $group = New-TestGroup
        $port = Get-ClosedUdpPort
        $before = Get-OpenSocketCount
        $run = Start-InRunspace "Receive-UdpDatagram -Port $port -LocalAddress 0.0.0.0 -MulticastGroup $group -InterfaceName lo"
        $null = Stop-InRunspace $run { Test-LoMember $group } -Seconds 20
        Test-LoMember $group | Should -BeFalse
        Test-UdpPortFree $port -Address 0.0.0.0 | Should -BeTrue
        Get-OpenSocketCount | Should -BeLessOrEqual $before
    }

    It 'a foreground receiver leaves at -TimeoutSeconds' {
        $group = New-TestGroup
        $got = @(Receive-UdpDatagram -Port 0 -MulticastGroup $group -InterfaceName lo -TimeoutSeconds 0.5)
        $got.Count | Should -Be 0
        Test-LoMember $group | Should -BeFalse
    }

    It 'two listeners share a group and a port with -ReuseAddress, each receiving a copy' {
        $group = New-TestGroup
        $port = Get-ClosedUdpPort
        $jobs = 1..2 | ForEach-Object { Receive-UdpDatagram -Port $port -MulticastGroup $group -InterfaceName lo -ReuseAddress -Count 1 -TimeoutSeconds 20 -AsJob }
        try {
            Send-ToGroupOnLo $group $port 'shared'
            foreach ($job in $jobs) { @($job | Wait-Job -Timeout 20 | Receive-Job).Text | Should -BeExactly 'shared' }
        }
        finally { $jobs | Remove-Job -Force }
    }

    It 'a source-specific join admits only that source' {
        $group = New-TestGroup
        $job = Receive-UdpDatagram -Port 0 -MulticastGroup $group -SourceAddress 127.0.0.1 -InterfaceName lo -TimeoutSeconds 8 -AsJob
        try {
            # python's sender leaves lo from the machine's primary address, not 127.0.0.1: refused.
            Send-ToGroupOnLo $group $job.LocalPort 'other source'
            $peer = [System.Net.Sockets.UdpClient]::new([System.Net.IPEndPoint]::new([ipaddress]::Loopback, 0))
            try {
                $peer.Client.SetSocketOption('IP', 'MulticastInterface', [System.Net.IPAddress]::Loopback.GetAddressBytes())
                $peer.Client.SetSocketOption('IP', 'MulticastLoopback', $true)
                $null = $peer.Send([byte[]] (0x61), 1, [System.Net.IPEndPoint]::new([ipaddress] $group, $job.LocalPort))
            }
            finally { $peer.Dispose() }
            $got = @($job | Wait-Job -Timeout 20 | Receive-Job)
            $got.Count | Should -Be 1
            $got[0].RemoteAddress | Should -Be ([ipaddress]::Loopback)
            Test-LoMember $group | Should -BeFalse
        }
        finally { $job | Remove-Job -Force }
    }

    It 'Start-UdpEcho joins and leaves too' {
        $group = New-TestGroup
        $job = Start-UdpEcho -Port 0 -MulticastGroup $group -InterfaceName lo -AsJob
        try { Test-LoMember $group | Should -BeTrue }
        finally { $job | Remove-Job -Force }
        Test-LoMember $group | Should -BeFalse
    }

    It '-Verbose says what was joined' {
        $group = New-TestGroup
        $verbose = Receive-UdpDatagram -Port 0 -MulticastGroup $group -InterfaceName lo -TimeoutSeconds 0.1 -Verbose 4>&1 | ForEach-Object { "$_" }
        $verbose | Should -Contain "Joined $group on lo."
    }

    It '200 join/leave cycles leave no membership, descriptor or thread behind' {
        $group = New-TestGroup
        # Once first, so the assemblies both paths load are open before counting.
        $null = Receive-UdpDatagram -Port 0 -MulticastGroup $group -InterfaceName lo -TimeoutSeconds 0.01
        Start-UdpEcho -Port 0 -MulticastGroup $group -InterfaceName lo -AsJob | Remove-Job -Force
        $sockets = Get-OpenSocketCount
        $descriptors = Get-OpenDescriptorCount
        $threads = (Get-Process -Id $PID).Threads.Count
        for ($i = 0; $i -lt 100; $i++) {
            $null = Receive-UdpDatagram -Port 0 -MulticastGroup $group -InterfaceName lo -TimeoutSeconds 0.01
            Start-UdpEcho -Port 0 -MulticastGroup $group -InterfaceName lo -AsJob | Remove-Job -Force
        }
        Test-LoMember $group | Should -BeFalse
        Get-OpenSocketCount | Should -BeLessOrEqual $sockets
        Get-OpenDescriptorCount | Should -BeLessOrEqual ($descriptors + 8) -Because 'the runtime may still map an assembly or two; 200 leaked sockets would be 200'
        # Listener threads are named 'PSUdp receive ...', 'PSUdp echo ...', 'PSUdp job ...' (comm keeps 15 characters).
        Wait-Until { @(Get-Content /proc/$PID/task/*/comm -ErrorAction Ignore | Where-Object { $_ -like 'PSUdp*' }).Count -eq 0 } | Should -BeTrue
        (Get-Process -Id $PID).Threads.Count | Should -BeLessOrEqual ($threads + 20) -Because 'the thread pool may grow a little, listeners leave none'
    }
}

Describe 'Sending to a group on lo' {
    It 'Send-UdpDatagram -InterfaceName lo -MulticastLoopback reaches a listener joined on lo' {
        $group = New-TestGroup
        $job = Receive-UdpDatagram -Port 0 -MulticastGroup $group -InterfaceName lo -Count 1 -TimeoutSeconds 20 -AsJob
        try {
            $sent = Send-UdpDatagram $group $job.LocalPort 'looped' -InterfaceName lo -MulticastLoopback -LocalAddress 127.0.0.1 -PassThru
            $sent.RemoteAddress | Should -Be ([ipaddress] $group)
            $got = @($job | Wait-Job -Timeout 20 | Receive-Job)
            $got.Text | Should -BeExactly 'looped'
            $got.RemoteAddress | Should -Be ([ipaddress]::Loopback)
            $got.LocalAddress | Should -Be ([ipaddress] $group)
        }
        finally { $job | Remove-Job -Force }
    }

    It 'nothing sent to a group with -InterfaceName lo leaves through another interface (tcpdump on all of them)' -Skip:(-not (Get-Command tcpdump -CommandType Application -ErrorAction Ignore)) {
        $group = New-TestGroup
        $port = Get-ClosedUdpPort
        $capture = Start-TestProcess timeout '20', 'tcpdump', '-i', 'any', '-n', '-l', "dst host $group and udp port $port"
        $null = Wait-TestProcessOutput $capture 'listening on any' -Stream Error -TimeoutSeconds 20
        Send-UdpDatagram $group $port 'one' -InterfaceName lo -MulticastLoopback -LocalAddress 127.0.0.1
        Send-UdpDatagram $group $port 'two' -InterfaceName lo
        Send-UdpDatagram $group $port 'three' -InterfaceName lo -LocalAddress 127.0.0.1 -TimeToLive 8
        $pattern = "^.* > $([regex]::Escape($group))\.$port`: UDP.*$"
        $lines = @(1..3 | ForEach-Object { (Wait-TestProcessOutput $capture $pattern -TimeoutSeconds 10).Value })
        $lines += @(Stop-TestProcess $capture -PassThru | Where-Object { $_ -match $pattern })
        $lines.Count | Should -Be 3 -Because 'each datagram crosses lo once'
        $lines | Where-Object { $_ -notmatch '^\S+ lo ' } | Should -BeNullOrEmpty
    }

    It '-WaitForReply to a group counts each host once: two echo servers of this host, one reply' {
        $group = New-TestGroup
        $port = Get-ClosedUdpPort
        $echoes = 1..2 | ForEach-Object { Start-UdpEcho -Port $port -MulticastGroup $group -InterfaceName lo -ReuseAddress -AsJob }
        try {
            $replies = @(Send-UdpDatagram $group $port 'who is there' -InterfaceName lo -MulticastLoopback -LocalAddress 127.0.0.1 -WaitForReply -TimeoutSeconds 5)
            $replies.Count | Should -Be 1
            $replies[0].RemoteAddress | Should -Be ([ipaddress]::Loopback)
            $replies[0].Text | Should -BeExactly 'who is there'
            Wait-Until { @($echoes | Where-Object Received -EQ 1).Count -eq 2 } | Should -BeTrue -Because 'both echo servers answered'
        }
        finally { $echoes | Remove-Job -Force }
    }

    It 'the example of <Name> that multicasts on lo runs: <Title>' -ForEach @(
        foreach ($name in 'Receive-UdpDatagram', 'Start-UdpEcho', 'Send-UdpDatagram') {
            Import-Module "$PSScriptRoot/../../tools/MarkdownHelp.psm1" -Force
            foreach ($example in (Read-MarkdownHelp -Path "$PSScriptRoot/../../docs/en-US/$name.md").Examples) {
                if ($example.Code -match '-InterfaceName lo') { @{ Name = $name; Title = $example.Title; Code = $example.Code } }
            }
        }
    ) {
        # The example's fixed ports and groups become free ones, so runs at the same time do not meet.
        $code = $Code
        foreach ($fixed in @([regex]::Matches($Code, "-Port (\d+)|'--port', '(\d+)'") | ForEach-Object { $_.Groups[1].Value + $_.Groups[2].Value } | Select-Object -Unique)) {
            $code = $code -replace "\b$fixed\b", (Get-ClosedUdpPort)
        }
        foreach ($fixed in @([regex]::Matches($Code, '\b239\.\d+\.\d+\.\d+\b').Value | Select-Object -Unique)) {
            $code = $code -replace [regex]::Escape($fixed), (New-TestGroup)
        }
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript("Import-Module PSUdp; Set-Location '$(Resolve-Path "$PSScriptRoot/../..")'; $code")
            $async = $ps.BeginInvoke()
            $async.AsyncWaitHandle.WaitOne(30000) | Should -BeTrue -Because "$Name, $Title must end by itself"
            $output = @($ps.EndInvoke($async))
            @($ps.Streams.Error) | Should -BeNullOrEmpty -Because "$Name, $Title"
            $output.Count | Should -BeGreaterThan 0 -Because "$Name, $Title shows what arrived"
        }
        finally { $ps.Dispose() }
    }
}

Describe 'Bad multicast input: a clear error, nothing joined, no socket left' {
    BeforeAll {
        function Assert-Refused([scriptblock] $Command, [string] $Id) {
            $before = Get-OpenSocketCount
            $err = $Command | Should -Throw -ErrorId $Id -PassThru
            Get-OpenSocketCount | Should -BeLessOrEqual $before
            $err
        }
    }

    # Every refused join names lo where the case allows it, so that even a refusal that came too
    # late could not join a group on another interface of this host's own namespace.
    It '<Cmdlet>: <Case>' -ForEach @(
        @{ Cmdlet = 'Receive-UdpDatagram'; Case = 'not a group'; Arguments = @{ MulticastGroup = '10.1.2.3' }; Id = 'NotMulticastGroup'; Advice = '-MulticastGroup' }
        @{ Cmdlet = 'Start-UdpEcho'; Case = 'not a group'; Arguments = @{ MulticastGroup = 'fe80::1' }; Id = 'NotMulticastGroup'; Advice = '-MulticastGroup' }
        @{ Cmdlet = 'Receive-UdpDatagram'; Case = '-SourceAddress without a group'; Arguments = @{ SourceAddress = '127.0.0.1' }; Id = 'SourceAddressWithoutGroup'; Advice = '-MulticastGroup' }
        @{ Cmdlet = 'Start-UdpEcho'; Case = '-InterfaceName without a group'; Arguments = @{ InterfaceName = 'lo' }; Id = 'InterfaceNameWithoutGroup'; Advice = '-MulticastGroup' }
        @{ Cmdlet = 'Receive-UdpDatagram'; Case = 'an IPv6 group on an IPv4 address'; Arguments = @{ MulticastGroup = 'ff15::1'; LocalAddress = '127.0.0.1'; InterfaceName = 'lo' }; Id = 'AddressFamilyMismatch'; Advice = '-LocalAddress' }
        @{ Cmdlet = 'Start-UdpEcho'; Case = 'an IPv4 group on an IPv6 address'; Arguments = @{ MulticastGroup = '239.1.2.3'; LocalAddress = '::1'; InterfaceName = 'lo' }; Id = 'AddressFamilyMismatch'; Advice = '-LocalAddress' }
        @{ Cmdlet = 'Receive-UdpDatagram'; Case = 'a source of the other family'; Arguments = @{ MulticastGroup = '239.1.2.3'; SourceAddress = '::1'; InterfaceName = 'lo' }; Id = 'AddressFamilyMismatch'; Advice = '-SourceAddress' }
        @{ Cmdlet = 'Start-UdpEcho'; Case = 'a multicast source'; Arguments = @{ MulticastGroup = '239.1.2.3'; SourceAddress = '239.9.9.9'; InterfaceName = 'lo' }; Id = 'InvalidTarget'; Advice = '-SourceAddress' }
        @{ Cmdlet = 'Receive-UdpDatagram'; Case = 'an interface that does not exist'; Arguments = @{ MulticastGroup = '239.1.2.3'; InterfaceName = 'nosuch0' }; Id = 'InterfaceNotFound'; Advice = 'nosuch0' }
    ) {
        $arguments = $Arguments
        $fqid = "$Id,$(if ($Cmdlet -eq 'Start-UdpEcho') { $E } else { $R })"
        $err = Assert-Refused { & $Cmdlet -Port 0 -TimeoutSeconds 0.1 @arguments } $fqid
        "$err" | Should -Match ([regex]::Escape($Advice)) -Because 'the message says what to do'
    }

    It 'Send-UdpDatagram: an interface that does not exist' {
        $S = 'PSUdp.Commands.SendUdpDatagramCommand'
        Assert-Refused { Send-UdpDatagram 239.1.2.3 9 'x' -InterfaceName nosuch0 } "InterfaceNotFound,$S"
    }

    It 'a join the kernel refuses (more groups than one socket may hold) leaves none of them joined' {
        $limit = [int] (Get-Content /proc/sys/net/ipv4/igmp_max_memberships)
        $base = "239.$(Get-Random -Minimum 200 -Maximum 250).$(Get-Random -Maximum 255)"
        $groups = 1..($limit + 1) | ForEach-Object { "$base.$_" }
        $port = Get-ClosedUdpPort
        $err = Assert-Refused { Receive-UdpDatagram -Port $port -MulticastGroup $groups -InterfaceName lo -TimeoutSeconds 0.1 } "MulticastJoinRefused,$R"
        "$err" | Should -Match ([regex]::Escape("$base.$($limit + 1)"))
        "$err" | Should -Match '-InterfaceName'
        $groups | Where-Object { Test-LoMember $_ } | Should -BeNullOrEmpty
        Test-UdpPortFree $port -Address 0.0.0.0 | Should -BeTrue
    }
}

Describe "Multicast on a switched network: A, B, C, D on a snooping bridge, E behind a second one$netnsNote" -Skip:(-not $canNetns) {
    BeforeAll {
        $domain = New-TestBroadcastDomain -Prefix ('mc' + (Get-Random -Minimum 1000 -Maximum 9999)) -HostCount 4 -IsolatedHostCount 1 -MulticastSnooping -LinkBridges
        $pwsh = @(Get-PwshCommand)
        $port = 7800
        $a = $domain.GetHost('a')

        # PSUdp in a host's own pwsh (TestHosts); the script prints what the test reads.
        function Invoke-PSUdp([string] $HostName, [string] $Script) { Invoke-PSUdpInTestHost $domain.GetHost($HostName) $Script -TimeoutSeconds 60 }
        # A PSUdp listener job in each named host: LISTENING once joined, GOT and ARRIVED lines per datagram at its end.
        function Start-Listener([string[]] $HostNames, [string] $Arguments, [string] $Cmdlet = 'Receive-UdpDatagram') {
            Start-PSUdpListenerInTestHost -Domain $domain -HostName $HostNames -Cmdlet $Cmdlet -Port $port -Arguments $Arguments -TimeoutSeconds 60
        }
        # The GOT lines; every line (ARRIVED: interface and TTL) stays in $script:ListenerLines.
        function Receive-Listener($Process) {
            $script:ListenerLines = @(Receive-TestProcessOutput $Process -Wait -TimeoutSeconds 60)
            @($script:ListenerLines | Where-Object { $_ -like 'GOT *' })
        }

        # Whether the bridge forwards the group to a host's port (its snooping table).
        function Test-Forwarded([string] $HostName, [string] $Group) {
            $table = @(& ip netns exec $domain.BridgeNamespace bridge mdb show 2>$null)
            [bool] ($table -match "port v$HostName grp $([regex]::Escape($Group))( |$)")
        }
        function Wait-Forwarded([string[]] $HostNames, [string] $Group, [bool] $Forwarded = $true) {
            foreach ($n in $HostNames) {
                Wait-Until { (Test-Forwarded $n $Group) -eq $Forwarded } -Seconds 15 | Should -BeTrue -Because "the bridge must $(if (-not $Forwarded) { 'stop forwarding' } else { 'forward' }) $Group to $n"
            }
        }
        # tcpdump on a host's eth0 (bounded by timeout), ready once it says it listens.
        function Start-Capture([string] $HostName, [string] $Group) {
            $p = Start-InTestHost -TestHost $domain.GetHost($HostName) -ArgumentList 'timeout', '30', 'tcpdump', '-i', 'eth0', '-n', '-l', "udp port $port and dst $Group"
            $null = Wait-TestProcessOutput $p 'listening on eth0' -Stream Error -TimeoutSeconds 20
            $p
        }
        function Stop-Capture($Process, [string] $Group) {
            @(Stop-TestProcess $Process -PassThru | Where-Object { $_ -match " > $([regex]::Escape($Group))\.$port`: UDP" }).Count
        }
        function Send-Python([string] $HostName, [string] $Group, [string] $Text, [string[]] $Extra = @()) {
            $r = Invoke-TestPeer udp_multicast (@('send', '--group', $Group, '--port', $port, '--interface', 'eth0', '--text', $Text) + $Extra) -TestHost $domain.GetHost($HostName)
            $r.Output | Should -Match '^SENT ' -Because ($r.Error -join "`n")
        }
        function Get-Membership([string] $HostName, [string] $Group) {
            @(Invoke-InTestHost -TestHost $domain.GetHost($HostName) -ArgumentList ip, maddr, show, dev, eth0) -match "\b$([regex]::Escape($Group))$"
        }
    }
    AfterAll { Remove-TestBroadcastDomain $domain }

    It 'A sends to a group that B and C joined: B and C receive it, D and E do not see it on their wire' {
        $group = '239.1.2.3'
        $b = Start-Listener 'b' "-MulticastGroup $group -InterfaceName eth0 -Count 1 -TimeoutSeconds 30"
        $c = Start-Listener 'c' "-MulticastGroup $group -Count 1 -TimeoutSeconds 30"   # the system's choice: eth0
        Wait-Forwarded 'b', 'c' $group
        $captures = [ordered]@{ b = Start-Capture 'b' $group; d = Start-Capture 'd' $group; e = Start-Capture 'e' $group }
        Send-Python 'a' $group 'to the group'
        Receive-Listener $b['b'] | Should -Be "GOT $($a.Address) $group to the group"
        $script:ListenerLines | Should -Contain 'ARRIVED eth0 1' -Because 'InterfaceName is where it arrived, and a group gets TTL 1'
        Receive-Listener $c['c'] | Should -Be "GOT $($a.Address) $group to the group"
        $script:ListenerLines | Should -Contain 'ARRIVED eth0 1'
        Stop-Capture $captures.b $group | Should -Be 1 -Because 'the capture works: B, a member, sees it'
        Stop-Capture $captures.d $group | Should -Be 0 -Because 'D never joined'
        Stop-Capture $captures.e $group | Should -Be 0 -Because 'E, behind the second bridge, never joined'
    }

    # The IPv6 source is A's link-local address, which the GOT line shows with its zone (the `*`).
    It 'a source-specific join on B for A''s <Source> to <Group> receives A''s datagrams and not C''s' -ForEach @(
        @{ Group = '232.1.2.3'; Source = 'Address'; Zone = '' }
        @{ Group = 'ff35::8000:1'; Source = 'LinkLocalAddress'; Zone = '*' }
    ) {
        $group = $Group
        $from = $a.$Source
        $b = Start-Listener 'b' "-MulticastGroup $group -SourceAddress $from -InterfaceName eth0 -Count 1 -TimeoutSeconds 30"
        Wait-Forwarded 'b' $group
        Send-Python 'c' $group 'from C'
        Send-Python 'a' $group 'from A'
        Receive-Listener $b['b'] | Should -BeLike "GOT $from$Zone $group from A"
    }

    It 'after B stops, its membership of <Group> is gone and the bridge no longer forwards the group to it' -ForEach @{ Group = '239.1.2.5' }, @{ Group = 'ff15::1:6' } {
        $group = $Group
        $from = if ($group -like '*:*') { $a.LinkLocalAddress } else { $a.Address }
        $b = Start-Listener 'b' "-MulticastGroup $group -InterfaceName eth0 -Count 1 -TimeoutSeconds 30"
        $c = Start-Listener 'c' "-MulticastGroup $group -InterfaceName eth0 -Count 2 -TimeoutSeconds 40"
        Wait-Forwarded 'b', 'c' $group
        Get-Membership 'b' $group | Should -Not -BeNullOrEmpty
        Send-Python 'a' $group 'first'
        Receive-Listener $b['b'] | Should -BeLike "GOT $from* $group first"
        Get-Membership 'b' $group | Should -BeNullOrEmpty -Because 'B left the group when -Count ended it'
        Wait-Forwarded 'b' $group -Forwarded $false
        Test-Forwarded 'c' $group | Should -BeTrue -Because 'C is still a member'
        $capture = Start-Capture 'b' $group
        Send-Python 'a' $group 'second'
        $got = Receive-Listener $c['c']
        $got.Count | Should -Be 2
        $got[0] | Should -BeLike "GOT $from* $group first"
        $got[1] | Should -BeLike "GOT $from* $group second"
        Stop-Capture $capture $group | Should -Be 0 -Because 'the leave was processed'
    }

    It 'IPv6: A sends to ff15::1:5 that B and C joined on eth0; D and E do not see it' {
        $group = 'ff15::1:5'
        $listeners = Start-Listener 'b', 'c' "-MulticastGroup $group -InterfaceName eth0 -Count 1 -TimeoutSeconds 30"
        Wait-Forwarded 'b', 'c' $group
        $captures = [ordered]@{ d = Start-Capture 'd' $group; e = Start-Capture 'e' $group }
        Send-Python 'a' $group 'to the IPv6 group'
        foreach ($n in 'b', 'c') {
            Receive-Listener $listeners[$n] | Should -BeLike "GOT $($a.LinkLocalAddress)* $group to the IPv6 group"
        }
        Stop-Capture $captures.d $group | Should -Be 0
        Stop-Capture $captures.e $group | Should -Be 0
    }

    It 'the echo in B answers a datagram to <Group> from B''s unicast address, to A''s' -ForEach @{ Group = '239.1.2.7' }, @{ Group = 'ff15::1:7' } {
        $group = $Group
        $v6 = $group -like '*:*'
        $from = if ($v6) { $a.LinkLocalAddress } else { $a.Address }
        $bAddress = if ($v6) { $domain.GetHost('b').LinkLocalAddress } else { $domain.GetHost('b').Address }
        $echo = Start-Listener 'b' "-MulticastGroup $group -InterfaceName eth0 -Count 1 -TimeoutSeconds 30" 'Start-UdpEcho'
        Wait-Forwarded 'b' $group
        $r = Invoke-TestPeer udp_multicast 'request', '--group', $group, '--port', $port, '--interface', 'eth0', '--text', 'echo me', '--timeout', '10' -TestHost $a
        $replies = @($r.Output | Where-Object { $_ -like 'REPLY *' })
        $echoed = Receive-Listener $echo['b']
        $echoed | Should -BeLike "GOT $from* $group echo me" -Because "python said: $($r.Output + $r.Error)"
        $replies | Should -Because "python said: $($r.Output + $r.Error)" -Be "REPLY $bAddress $port $([Convert]::ToHexString([Text.Encoding]::UTF8.GetBytes('echo me')).ToLower()) $from"
    }

    It 'socat sends to the group (ip-multicast-if): PSUdp in B receives it' {
        $group = '239.1.2.8'
        $b = Start-Listener 'b' "-MulticastGroup $group -InterfaceName eth0 -Count 1 -TimeoutSeconds 30"
        Wait-Forwarded 'b' $group
        $r = Invoke-InTestHost -TestHost $a -ArgumentList socat, '-u', 'SYSTEM:printf from-socat', "UDP4-DATAGRAM:${group}:$port,ip-multicast-if=$($a.Address)" -PassThru
        $r.ExitCode | Should -Be 0 -Because ($r.Error -join "`n")
        Receive-Listener $b['b'] | Should -Be "GOT $($a.Address) $group from-socat"
    }

    It 'PSUdp in A sends to a group: socat in B and python in C (IP_RECVTTL) receive it with TTL 1 (or -TimeToLive), D does not' {
        $group = '239.1.3.1'
        $socat = Start-InTestHost -TestHost $domain.GetHost('b') -ArgumentList 'timeout', '30', 'socat', '-u', "UDP4-RECV:$port,reuseaddr,ip-add-membership=${group}:eth0", 'STDOUT'
        $python = Start-TestPeer udp_multicast 'receive', '--group', $group, '--port', $port, '--interface', 'eth0', '--count', '2', '--timeout', '30' -TestHost $domain.GetHost('c')
        $null = Wait-TestPeerListening $python -TimeoutSeconds 20
        Wait-Forwarded 'b', 'c' $group
        $capture = Start-Capture 'd' $group
        $lines = Invoke-PSUdp 'a' "Send-UdpDatagram $group $port 'from PSUdp' -InterfaceName eth0 -PassThru | ForEach-Object { 'SENT ' + `$_.RemoteAddress }; Send-UdpDatagram $group $port 'TTL 4' -InterfaceName eth0 -TimeToLive 4"
        $lines | Should -Contain "SENT $group"
        $recv = @(Receive-TestProcessOutput $python -Wait -TimeoutSeconds 30 | Where-Object { $_ -like 'RECV *' })
        $recv.Count | Should -Be 2
        $hex = { param($text) [Convert]::ToHexString([Text.Encoding]::UTF8.GetBytes($text)).ToLower() }
        $recv[0] | Should -Be "RECV $($a.Address) $(($recv[0] -split ' ')[2]) $(& $hex 'from PSUdp') $group 1 eth0" -Because 'a group gets TTL 1 by default'
        $recv[1] | Should -Be "RECV $($a.Address) $(($recv[1] -split ' ')[2]) $(& $hex 'TTL 4') $group 4 eth0" -Because '-TimeToLive sets the multicast TTL'
        (Stop-TestProcess $socat -PassThru) -join '' | Should -Match 'from PSUdp'
        Stop-Capture $capture $group | Should -Be 0
    }

    It 'IPv6: PSUdp in A sends to ff15::2:1 out of eth0, or out of its only IPv6 interface; python in B sees hop limit 1, or -TimeToLive' {
        $group = 'ff15::2:1'
        $python = Start-TestPeer udp_multicast 'receive', '--group', $group, '--port', $port, '--interface', 'eth0', '--count', '3', '--timeout', '30' -TestHost $domain.GetHost('b')
        $null = Wait-TestPeerListening $python -TimeoutSeconds 20
        Wait-Forwarded 'b' $group
        $null = Invoke-PSUdp 'a' "Send-UdpDatagram $group $port 'named' -InterfaceName eth0; Send-UdpDatagram $group $port 'only one'; Send-UdpDatagram $group $port 'hop limit 3' -InterfaceName eth0 -TimeToLive 3"
        $recv = @(Receive-TestProcessOutput $python -Wait -TimeoutSeconds 30 | Where-Object { $_ -like 'RECV *' })
        $recv.Count | Should -Be 3
        foreach ($i in 0..2) {
            $fields = $recv[$i] -split ' '
            $fields[1] | Should -Be $a.LinkLocalAddress
            $fields[4..6] | Should -Be $group, ('1', '1', '3')[$i], 'eth0'
        }
    }

    It 'IPv6: a group with several interfaces to leave through and none named is refused with AmbiguousMulticastInterface' {
        $null = Invoke-InTestHost -TestHost $domain.GetHost('d') -ArgumentList ip, link, add, two0, type, veth, peer, name, two1
        $null = Invoke-InTestHost -TestHost $domain.GetHost('d') -ArgumentList ip, link, set, two0, up
        $null = Invoke-InTestHost -TestHost $domain.GetHost('d') -ArgumentList ip, link, set, two1, up
        $lines = Invoke-PSUdp 'd' "`$ErrorActionPreference = 'Continue'; Send-UdpDatagram ff15::2:2 $port 'x' -ErrorVariable e 2>`$null; 'ERR ' + `$e[0].FullyQualifiedErrorId; 'MSG ' + `$e[0]"
        $lines | Should -Contain 'ERR AmbiguousMulticastInterface,PSUdp.Commands.SendUdpDatagramCommand'
        ($lines -join "`n") | Should -Match 'eth0' -Because 'the message names the candidates'
        ($lines -join "`n") | Should -Match '-InterfaceName'
    }

    It 'A does not hear its own datagram to a group it joined, unless -MulticastLoopback' {
        $group = '239.1.3.5'
        $lines = Invoke-PSUdp 'a' "`$j = Receive-UdpDatagram -Port $port -MulticastGroup $group -InterfaceName eth0 -TimeoutSeconds 8 -AsJob; Send-UdpDatagram $group $port 'not looped' -InterfaceName eth0; Send-UdpDatagram $group $port 'looped' -InterfaceName eth0 -MulticastLoopback; `$j | Wait-Job | Receive-Job | ForEach-Object { 'GOT ' + `$_.Text }"
        @($lines | Where-Object { $_ -like 'GOT *' }) | Should -Be 'GOT looped'
    }

    It 'SSDP-style discovery: responders in B, C and D answer A''s M-SEARCH; -WaitForReply gets exactly three replies, one per host' {
        $group = '239.255.255.250'
        $ssdp = 1900
        $responders = foreach ($n in 'b', 'c', 'd') {
            # C answers twice: a host is still counted once.
            $repeat = if ($n -eq 'c') { '2' } else { '1' }
            Start-TestPeer udp_multicast 'respond', '--group', $group, '--port', $ssdp, '--interface', 'eth0', '--timeout', '30', '--repeat', $repeat, '--text', "HTTP/1.1 200 OK`r`nST: ssdp:all`r`nSERVER: host $n`r`n`r`n" -TestHost $domain.GetHost($n)
        }
        foreach ($r in $responders) { $null = Wait-TestPeerListening $r -TimeoutSeconds 20 }
        Wait-Forwarded 'b', 'c', 'd' $group
        $search = 'M-SEARCH * HTTP/1.1`r`nHOST: 239.255.255.250:1900`r`nMAN: `"ssdp:discover`"`r`nMX: 1`r`nST: ssdp:all`r`n`r`n'
        $lines = Invoke-PSUdp 'a' "Send-UdpDatagram $group $ssdp `"$search`" -InterfaceName eth0 -WaitForReply -TimeoutSeconds 5 | ForEach-Object { 'REPLY ' + `$_.RemoteAddress + ' ' + (`$_.Text -split '
')[2] }"
        $replies = @($lines | Where-Object { $_ -like 'REPLY *' } | Sort-Object)
        $replies | Should -Be 'REPLY 198.51.100.12 SERVER: host b', 'REPLY 198.51.100.13 SERVER: host c', 'REPLY 198.51.100.14 SERVER: host d'
        $lines = Invoke-PSUdp 'a' "Send-UdpDatagram $group $ssdp `"$search`" -InterfaceName eth0 -WaitForReply -Count 2 -TimeoutSeconds 20 | ForEach-Object { 'REPLY ' + `$_.RemoteAddress }"
        @($lines | Where-Object { $_ -like 'REPLY *' }).Count | Should -Be 2 -Because '-Count ends the wait'
        $responders | Stop-TestProcess
    }

    It 'an interface that is down, and a join without a route to choose an interface by, fail with their ids' {
        $d = $domain.GetHost('d')
        $null = Invoke-InTestHost -TestHost $d -ArgumentList ip, link, add, down0, type, veth, peer, name, down1
        $lines = Invoke-PSUdp 'd' "foreach (`$case in @{ MulticastGroup = '239.1.2.9'; InterfaceName = 'down0' }) { try { Receive-UdpDatagram -Port $port -TimeoutSeconds 1 @case } catch { 'ERR ' + `$_.FullyQualifiedErrorId } }"
        $lines | Should -Contain 'ERR InterfaceDown,PSUdp.Commands.ReceiveUdpDatagramCommand'
        # The bridges' own namespace has lo only: no route tells the kernel where 239.1.2.9 is.
        $p = Start-InTestHost -TestHost $domain.BridgeNamespace -ArgumentList ($pwsh + @('-NoProfile', '-NonInteractive', '-Command', "Import-Module PSUdp; try { Receive-UdpDatagram -Port $port -MulticastGroup 239.1.2.9 -TimeoutSeconds 1 } catch { 'ERR ' + `$_.FullyQualifiedErrorId; 'MSG ' + `$_ }; 'MEMBERS ' + @(ip maddr show | Select-String '239\.1\.2\.9').Count"))
        $lines = @(Receive-TestProcessOutput $p -Wait -TimeoutSeconds 60)
        $lines | Should -Contain 'ERR MulticastJoinRefused,PSUdp.Commands.ReceiveUdpDatagramCommand'
        $lines | Should -Contain 'MEMBERS 0'
    }
}
