# Multicast (issue 12). NETWORK RULE: from the machine's own namespace, multicast goes only out of
# lo, with the interface named (python's sender refuses anything else); every other case runs in
# namespaces this file makes (tests/Pester/TestHosts.psm1), on bridges with IGMP/MLD snooping.
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
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript("Import-Module PSUdp; Receive-UdpDatagram -Port $port -LocalAddress 0.0.0.0 -MulticastGroup $group -InterfaceName lo")
            $async = $ps.BeginInvoke()
            Wait-Until { Test-LoMember $group } -Seconds 20 | Should -BeTrue -Because 'the listener must have joined'
            $ps.Stop()
            $async.IsCompleted | Should -BeTrue
        }
        finally { $ps.Dispose() }
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
        $job = Receive-UdpDatagram -Port 0 -MulticastGroup $group -SourceAddress 127.0.0.1 -InterfaceName lo -TimeoutSeconds 3 -AsJob
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
        $null = Receive-UdpDatagram -Port 0 -MulticastGroup $group -InterfaceName lo -TimeoutSeconds 0.01
        $descriptors = Get-OpenDescriptorCount
        $threads = (Get-Process -Id $PID).Threads.Count
        for ($i = 0; $i -lt 100; $i++) {
            $null = Receive-UdpDatagram -Port 0 -MulticastGroup $group -InterfaceName lo -TimeoutSeconds 0.01
            Start-UdpEcho -Port 0 -MulticastGroup $group -InterfaceName lo -AsJob | Remove-Job -Force
        }
        Test-LoMember $group | Should -BeFalse
        Get-OpenDescriptorCount | Should -BeLessOrEqual ($descriptors + 2)
        (Get-Process -Id $PID).Threads.Count | Should -BeLessOrEqual ($threads + 5)
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

    It '<Cmdlet>: <Case>' -ForEach @(
        @{ Cmdlet = 'Receive-UdpDatagram'; Case = 'not a group'; Arguments = @{ MulticastGroup = '10.1.2.3' }; Id = 'NotMulticastGroup' }
        @{ Cmdlet = 'Start-UdpEcho'; Case = 'not a group'; Arguments = @{ MulticastGroup = 'fe80::1' }; Id = 'NotMulticastGroup' }
        @{ Cmdlet = 'Receive-UdpDatagram'; Case = '-SourceAddress without a group'; Arguments = @{ SourceAddress = '127.0.0.1' }; Id = 'SourceAddressWithoutGroup' }
        @{ Cmdlet = 'Start-UdpEcho'; Case = '-InterfaceName without a group'; Arguments = @{ InterfaceName = 'lo' }; Id = 'InterfaceNameWithoutGroup' }
        @{ Cmdlet = 'Receive-UdpDatagram'; Case = 'an IPv6 group on an IPv4 address'; Arguments = @{ MulticastGroup = 'ff15::1'; LocalAddress = '127.0.0.1' }; Id = 'AddressFamilyMismatch' }
        @{ Cmdlet = 'Start-UdpEcho'; Case = 'an IPv4 group on an IPv6 address'; Arguments = @{ MulticastGroup = '239.1.2.3'; LocalAddress = '::1' }; Id = 'AddressFamilyMismatch' }
        @{ Cmdlet = 'Receive-UdpDatagram'; Case = 'a source of the other family'; Arguments = @{ MulticastGroup = '239.1.2.3'; SourceAddress = '::1' }; Id = 'AddressFamilyMismatch' }
        @{ Cmdlet = 'Receive-UdpDatagram'; Case = 'an interface that does not exist'; Arguments = @{ MulticastGroup = '239.1.2.3'; InterfaceName = 'nosuch0' }; Id = 'InterfaceNotFound' }
    ) {
        $arguments = $Arguments
        $fqid = "$Id,$(if ($Cmdlet -eq 'Start-UdpEcho') { $E } else { $R })"
        $err = Assert-Refused { & $Cmdlet -Port 0 -TimeoutSeconds 0.1 @arguments } $fqid
        "$err" | Should -Not -BeNullOrEmpty
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
