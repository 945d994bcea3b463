<#
.SYNOPSIS
    Test fixture for PSUdp: simulated hosts on a broadcast domain (Linux network namespaces), and
    helpers to run the textbook peers (tests/peers/*.py) and other processes and read their output.

.DESCRIPTION
    New-TestBroadcastDomain makes, with `ip netns`, one namespace per host plus one for the wire:

        <prefix>br   the "switch": bridge br0 (and br1 for isolated hosts), veth ends va, vb, ...
        <prefix>a    host a: eth0 198.51.100.11/24 brd 198.51.100.255, lo up, default dev eth0
        <prefix>b    host b: eth0 198.51.100.12/24 ...
        <prefix>d    isolated host d: eth0 198.51.100.51/24, attached to br1 (same subnet, other wire)

    Nothing is added to the root namespace (no interface, no address, no route): every veth is
    created inside the bridge namespace with its peer moved straight into the host namespace.
    Traffic between the simulated hosts therefore never reaches a real network.

    Processes are started with System.Diagnostics.Process (stdout and stderr redirected); tests
    wait for lines such as 'LISTENING <port>' with Wait-TestProcessOutput instead of sleeping.
    Every wait is bounded in time.
#>

Set-StrictMode -Version 3.0

$script:PeerDirectory = [System.IO.Path]::GetFullPath((Join-Path $PSScriptRoot '../peers'))
$script:Subnet = '198.51.100'
$script:PrefixLength = 24
$script:InterfaceName = 'eth0'
$script:Domains = @{}        # prefix -> List[string] of namespaces this module created
$script:Processes = @{}      # process id -> state (see Start-TestProcess)
$script:NetnsSupport = $null
$script:Python = $null

#region helpers

function Invoke-IpCommand {
    # Runs `ip <args>`; throws with ip's own message on failure. A simple function (no param block)
    # so that ip's options (-n, -o, -4) are passed through instead of bound as PowerShell's.
    $ArgumentList = @($args | ForEach-Object { "$_" })
    $output = & ip @ArgumentList 2>&1
    if ($LASTEXITCODE -ne 0) {
        throw "ip $($ArgumentList -join ' ') failed (exit $LASTEXITCODE): $(($output | Out-String).Trim())"
    }
    $output | ForEach-Object { "$_" }
}

function Get-NamespaceList {
    # Names from `ip netns list` ("name (id: 3)" -> "name").
    $lines = & ip netns list 2>$null
    if ($LASTEXITCODE -ne 0) { return @() }
    @($lines | ForEach-Object { ("$_" -split '\s+')[0] } | Where-Object { $_ })
}

function Resolve-TestHostNamespace {
    param([Parameter(Mandatory)] [object] $TestHost)
    if ($TestHost -is [string]) { return $TestHost }
    if ($TestHost.PSObject.Properties['Namespace']) { return [string] $TestHost.Namespace }
    throw "TestHost must be a host object from New-TestBroadcastDomain (.Hosts) or a namespace name, not '$TestHost'."
}

function Get-ProcessState {
    param([Parameter(Mandatory)] [System.Diagnostics.Process] $Process)
    $state = $script:Processes[$Process.Id]
    if (-not $state) { throw "Process $($Process.Id) was not started by Start-TestProcess." }
    $state
}

function Update-ProcessStream {
    # Moves every line that is already available into the state's line lists; never blocks.
    param([Parameter(Mandatory)] $State)
    foreach ($stream in $State.Streams.Values) {
        while (-not $stream.Eof) {
            if (-not $stream.Task) { $stream.Task = $stream.Reader.ReadLineAsync() }
            if (-not $stream.Task.IsCompleted) { break }
            $line = if ($stream.Task.IsFaulted -or $stream.Task.IsCanceled) { $null } else { $stream.Task.Result }
            $stream.Task = $null
            if ($null -eq $line) { $stream.Eof = $true } else { $stream.Lines.Add($line) }
        }
    }
}

function Wait-ProcessStream {
    # Waits until a pending read completes, or Milliseconds pass.
    param([Parameter(Mandatory)] $State, [int] $Milliseconds)
    $tasks = @($State.Streams.Values | Where-Object { -not $_.Eof -and $_.Task } | ForEach-Object { $_.Task })
    if ($tasks.Count -eq 0) { return }
    $null = [System.Threading.Tasks.Task]::WaitAny([System.Threading.Tasks.Task[]] $tasks, [Math]::Max(1, $Milliseconds))
}

function Format-ProcessOutput {
    param([Parameter(Mandatory)] $State)
    $out = ($State.Streams.Output.Lines | Select-Object -Last 20) -join "`n    "
    $err = ($State.Streams.Error.Lines | Select-Object -Last 20) -join "`n    "
    "command: $($State.CommandLine)`n  stdout:`n    $out`n  stderr:`n    $err"
}

#endregion

#region namespaces and the broadcast domain

function Test-CanCreateNetworkNamespace {
    <#
    .SYNOPSIS
        Whether this machine can make the namespaces, bridge and veths New-TestBroadcastDomain needs.
    .OUTPUTS
        An object with CanCreate ($true/$false) and Reason (why not; empty when it can). Use it as
        It '...' -Skip:(-not $support.CanCreate), and show $support.Reason. Set the environment
        variable PSUDP_TEST_NO_NETNS to any value to skip namespace tests on purpose.
    #>
    [CmdletBinding()]
    param([switch] $Force)
    if ($script:NetnsSupport -and -not $Force) { return $script:NetnsSupport }
    $reason = $null
    if ($env:PSUDP_TEST_NO_NETNS) {
        $reason = 'disabled by the environment variable PSUDP_TEST_NO_NETNS'
    }
    elseif (-not $IsLinux) {
        $reason = 'network namespaces need Linux'
    }
    elseif (-not (Get-Command ip -CommandType Application -ErrorAction SilentlyContinue)) {
        $reason = "the 'ip' command (iproute2) is not installed"
    }
    elseif ((& id -u) -ne '0') {
        $reason = "not root (uid $(& id -u)); 'ip netns add' needs root"
    }
    else {
        $probe = 'psudpprobe' + [System.IO.Path]::GetRandomFileName().Substring(0, 6).Replace('.', 'x')
        try {
            $null = Invoke-IpCommand netns add $probe
            try {
                $null = Invoke-IpCommand -n $probe link add br0 type bridge
                $null = Invoke-IpCommand -n $probe link add v0 type veth peer name v1
                $null = Invoke-IpCommand -n $probe link set v0 master br0
            }
            finally {
                & ip netns del $probe 2>$null
            }
        }
        catch {
            $reason = "cannot create a network namespace with a bridge and a veth pair: $($_.Exception.Message)"
        }
    }
    $script:NetnsSupport = [pscustomobject]@{
        PSTypeName = 'PSUdp.Test.NetnsSupport'
        CanCreate  = -not $reason
        Reason     = if ($reason) { $reason } else { '' }
    }
    $script:NetnsSupport
}

function New-TestBroadcastDomain {
    <#
    .SYNOPSIS
        Makes simulated hosts on one broadcast domain (198.51.100.0/24) with network namespaces.
    .DESCRIPTION
        Hosts a, b, c ... (namespaces <Prefix>a, <Prefix>b ...) get eth0 = 198.51.100.(10+i)/24 and
        share bridge br0; isolated hosts (the next letters) get 198.51.100.(50+i)/24 on bridge br1:
        the same subnet, another wire. Both bridges live in namespace <Prefix>br. Each host has lo
        up and, unless -NoDefaultRoute, 'default dev eth0': Linux routes 255.255.255.255 by a normal
        route lookup, so without a default route (and without SO_BINDTODEVICE or a bound local
        address) sending to 255.255.255.255 fails with ENETUNREACH.
        With -MulticastSnooping the bridges forward a group only to the ports whose hosts joined it
        (IGMPv3/MLDv2 snooping, with br0 as the querier, asking every second), hosts have IPv6
        link-local addresses usable at once (no duplicate address detection), and the call returns
        once the querier counts as present. With -LinkBridges br1 hangs off br0 (a veth between
        them), so the isolated hosts sit behind a second bridge instead of on a wire of their own.
        On failure it removes what it made and throws.
    .OUTPUTS
        PSUdp.Test.BroadcastDomain: Prefix, BridgeNamespace, Namespaces, Hosts (Name, Namespace,
        Address, PrefixLength, InterfaceName, BroadcastAddress, Isolated), InterfaceName,
        Network, PrefixLength, BroadcastAddress, LimitedBroadcastAddress; method GetHost('b').
        With -MulticastSnooping each host also has LinkLocalAddress (its fe80:: address on eth0).
    #>
    [CmdletBinding()]
    param(
        # Short, unique per test file: namespaces are <Prefix>br, <Prefix>a, <Prefix>b ...
        [ValidatePattern('^[a-z][a-z0-9]{0,11}$')]
        [string] $Prefix = ('t' + [System.IO.Path]::GetRandomFileName().Substring(0, 5).Replace('.', 'x')),
        [ValidateRange(1, 20)] [int] $HostCount = 3,
        [ValidateRange(0, 5)] [int] $IsolatedHostCount = 0,
        [switch] $NoDefaultRoute,
        [switch] $MulticastSnooping,
        [switch] $LinkBridges
    )
    $letters = 'abcdefghijklmnopqrstuvwxyz'
    $bridgeNs = "${Prefix}br"
    $plan = for ($i = 0; $i -lt $HostCount + $IsolatedHostCount; $i++) {
        $isolated = $i -ge $HostCount
        $number = if ($isolated) { 50 + ($i - $HostCount) + 1 } else { 10 + $i + 1 }
        [pscustomobject]@{
            PSTypeName       = 'PSUdp.Test.Host'
            Name             = [string] $letters[$i]
            Namespace        = "$Prefix$($letters[$i])"
            Address          = "$script:Subnet.$number"
            PrefixLength     = $script:PrefixLength
            InterfaceName    = $script:InterfaceName
            BroadcastAddress = "$script:Subnet.255"
            Isolated         = $isolated
            Bridge           = if ($isolated) { 'br1' } else { 'br0' }
            BridgePort       = "v$($letters[$i])"
        }
    }
    $existing = Get-NamespaceList
    $clash = @(@($bridgeNs) + @($plan.Namespace) | Where-Object { $_ -in $existing })
    if ($clash) {
        throw "Network namespace(s) $($clash -join ', ') already exist; choose another -Prefix (or remove them with Remove-TestBroadcastDomain -Prefix $Prefix -Force)."
    }

    $created = [System.Collections.Generic.List[string]]::new()
    $script:Domains[$Prefix] = $created
    try {
        $null = Invoke-IpCommand netns add $bridgeNs
        $created.Add($bridgeNs)
        $null = Invoke-IpCommand -n $bridgeNs link set lo up
        if ($MulticastSnooping) { Disable-DuplicateAddressDetection $bridgeNs 'default' }
        $bridges = @('br0') + @(if ($IsolatedHostCount) { 'br1' })
        foreach ($bridge in $bridges) {
            # STP is off by default, so a port forwards as soon as it is up.
            $null = Invoke-IpCommand -n $bridgeNs link add $bridge type bridge
            if ($MulticastSnooping) {
                # Queries every second, an answer expected within one: memberships are learnt and
                # forgotten in seconds rather than minutes. IGMPv3/MLDv2 for source-specific joins.
                $null = Invoke-IpCommand -n $bridgeNs link set $bridge type bridge mcast_snooping 1 mcast_igmp_version 3 mcast_mld_version 2 mcast_query_interval 100 mcast_query_response_interval 100 mcast_last_member_interval 50
            }
            $null = Invoke-IpCommand -n $bridgeNs link set $bridge up
        }
        if ($LinkBridges -and $IsolatedHostCount) {
            $null = Invoke-IpCommand -n $bridgeNs link add up0 type veth peer name up1
            $null = Invoke-IpCommand -n $bridgeNs link set up0 master br0 up
            $null = Invoke-IpCommand -n $bridgeNs link set up1 master br1 up
        }
        foreach ($h in $plan) {
            $null = Invoke-IpCommand netns add $h.Namespace
            $created.Add($h.Namespace)
            # Made inside the bridge namespace, the peer goes straight into the host namespace.
            $null = Invoke-IpCommand -n $bridgeNs link add $h.BridgePort type veth peer name $script:InterfaceName netns $h.Namespace
            $null = Invoke-IpCommand -n $bridgeNs link set $h.BridgePort master $h.Bridge up
            $null = Invoke-IpCommand -n $h.Namespace link set lo up
            $null = Invoke-IpCommand -n $h.Namespace addr add "$($h.Address)/$script:PrefixLength" brd + dev $script:InterfaceName
            if ($MulticastSnooping) { Disable-DuplicateAddressDetection $h.Namespace $script:InterfaceName }
            $null = Invoke-IpCommand -n $h.Namespace link set $script:InterfaceName up
            if (-not $NoDefaultRoute) {
                $null = Invoke-IpCommand -n $h.Namespace route add default dev $script:InterfaceName
            }
        }
        # Bounded wait until every eth0 reports operstate UP (normally immediate).
        foreach ($h in $plan) {
            $deadline = [DateTime]::UtcNow.AddSeconds(5)
            while ($true) {
                $link = Invoke-IpCommand -n $h.Namespace -o link show $script:InterfaceName
                if ("$link" -match '\bstate UP\b') { break }
                if ([DateTime]::UtcNow -gt $deadline) { throw "eth0 in $($h.Namespace) did not come up: $link" }
                Start-Sleep -Milliseconds 50
            }
        }
        if ($MulticastSnooping) {
            foreach ($h in $plan) {
                $h | Add-Member -NotePropertyName LinkLocalAddress -NotePropertyValue (Get-LinkLocalAddress $h.Namespace)
            }
            # The querier is set once the intervals are short (it counts as present one response
            # interval after it is set); until then the bridge floods every group to every port.
            $null = Invoke-IpCommand -n $bridgeNs link set br0 type bridge mcast_querier 1
            Start-Sleep -Milliseconds 2500
        }
    }
    catch {
        $failure = $_
        Remove-TestBroadcastDomain -Prefix $Prefix
        throw "New-TestBroadcastDomain -Prefix $Prefix failed and was rolled back: $($failure.Exception.Message)"
    }

    $domain = [pscustomobject]@{
        PSTypeName              = 'PSUdp.Test.BroadcastDomain'
        Prefix                  = $Prefix
        BridgeNamespace         = $bridgeNs
        Namespaces              = @($created)
        Hosts                   = @($plan)
        InterfaceName           = $script:InterfaceName
        Network                 = "$script:Subnet.0"
        PrefixLength            = $script:PrefixLength
        BroadcastAddress        = "$script:Subnet.255"
        LimitedBroadcastAddress = '255.255.255.255'
        DefaultRoute            = -not $NoDefaultRoute
        MulticastSnooping       = [bool] $MulticastSnooping
    }
    $domain | Add-Member -MemberType ScriptMethod -Name GetHost -Value {
        param([string] $Name)
        $found = $this.Hosts | Where-Object Name -EQ $Name
        if (-not $found) { throw "No host '$Name' in test domain $($this.Prefix) (hosts: $($this.Hosts.Name -join ', '))." }
        $found
    }
    $domain
}

function Disable-DuplicateAddressDetection([string] $Namespace, [string] $Device) {
    # An IPv6 address is usable at once, not after a second of duplicate address detection.
    $null = & ip netns exec $Namespace sysctl -qw "net.ipv6.conf.$Device.accept_dad=0" 2>&1
}

function Get-LinkLocalAddress([string] $Namespace) {
    # The fe80:: address the kernel gave eth0 (bounded wait: it appears when the link is up).
    $deadline = [DateTime]::UtcNow.AddSeconds(5)
    while ($true) {
        $line = @(Invoke-IpCommand -n $Namespace -6 -o addr show dev $script:InterfaceName scope link) | Select-Object -First 1
        if ("$line" -match 'inet6 (fe80::[0-9a-f:]+)/64' -and "$line" -notmatch 'tentative') { return $Matches[1] }
        if ([DateTime]::UtcNow -gt $deadline) { throw "eth0 in $Namespace has no usable link-local address: $line" }
        Start-Sleep -Milliseconds 50
    }
}

function Remove-TestBroadcastDomain {
    <#
    .SYNOPSIS
        Deletes a test broadcast domain: kills the processes in its namespaces, deletes them (which
        deletes the veths and bridges). Idempotent; safe after a half-made domain or none at all.
    .PARAMETER Force
        With -Prefix: also delete namespaces this session did not record but that match the
        fixture's names (<Prefix>br, <Prefix>a .. <Prefix>z), e.g. left over by a killed run.
    #>
    [CmdletBinding(DefaultParameterSetName = 'Domain')]
    param(
        [Parameter(ParameterSetName = 'Domain', Position = 0, ValueFromPipeline)] [AllowNull()] [object] $Domain,
        [Parameter(ParameterSetName = 'Prefix', Mandatory)] [string] $Prefix,
        [Parameter(ParameterSetName = 'Prefix')] [switch] $Force
    )
    process {
        if ($PSCmdlet.ParameterSetName -eq 'Domain') {
            if (-not $Domain) { return }
            $Prefix = $Domain.Prefix
        }
        $names = [System.Collections.Generic.List[string]]::new()
        if ($script:Domains.ContainsKey($Prefix)) { $script:Domains[$Prefix] | ForEach-Object { $names.Add($_) } }
        if ($Domain) { $Domain.Namespaces | Where-Object { $_ -notin $names } | ForEach-Object { $names.Add($_) } }
        $existing = Get-NamespaceList
        if ($Force) {
            $pattern = '^' + [regex]::Escape($Prefix) + '(br|[a-z])$'
            $existing | Where-Object { $_ -match $pattern -and $_ -notin $names } | ForEach-Object { $names.Add($_) }
        }
        # Hosts first, the bridge namespace last.
        $ordered = @($names | Where-Object { $_ -in $existing } | Sort-Object { $_ -eq "${Prefix}br" })
        foreach ($ns in $ordered) {
            Stop-NamespaceProcess -Namespace $ns
            & ip netns del $ns 2>$null
            if ($LASTEXITCODE -ne 0 -and $ns -in (Get-NamespaceList)) {
                Write-Warning "Could not delete network namespace $ns."
            }
        }
        $script:Domains.Remove($Prefix)
    }
}

function Stop-NamespaceProcess {
    # Kills (by id) every process inside one namespace, and waits (bounded) until they are gone.
    param([Parameter(Mandatory)] [string] $Namespace)
    $ids = @(& ip netns pids $Namespace 2>$null | ForEach-Object { [int] "$_" })
    foreach ($id in $ids) {
        try { [System.Diagnostics.Process]::GetProcessById($id).Kill() } catch { Write-Verbose "process $id already gone" }
    }
    $deadline = [DateTime]::UtcNow.AddSeconds(5)
    while ($ids -and [DateTime]::UtcNow -lt $deadline) {
        $ids = @(& ip netns pids $Namespace 2>$null)
        if ($ids) { Start-Sleep -Milliseconds 50 }
    }
}

#endregion

#region processes

function Start-TestProcess {
    <#
    .SYNOPSIS
        Starts a process (optionally inside a network namespace) with stdout and stderr
        redirected, and returns the System.Diagnostics.Process. Read its output with
        Wait-TestProcessOutput / Receive-TestProcessOutput, end it with Stop-TestProcess.
    #>
    [CmdletBinding()]
    [OutputType([System.Diagnostics.Process])]
    param(
        [Parameter(Mandatory, Position = 0)] [string] $FilePath,
        [Parameter(Position = 1)] [string[]] $ArgumentList = @(),
        # Run it with `ip netns exec <Namespace>`.
        [string] $Namespace,
        [string] $WorkingDirectory = $script:PeerDirectory
    )
    $psi = [System.Diagnostics.ProcessStartInfo]::new()
    $all = @(if ($Namespace) { 'netns', 'exec', $Namespace, $FilePath } else { }) + $ArgumentList
    $psi.FileName = if ($Namespace) { 'ip' } else { $FilePath }
    foreach ($a in $all) { $psi.ArgumentList.Add([string] $a) }
    $psi.UseShellExecute = $false
    $psi.RedirectStandardInput = $true
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $psi.StandardOutputEncoding = [System.Text.UTF8Encoding]::new($false)
    $psi.StandardErrorEncoding = [System.Text.UTF8Encoding]::new($false)
    $psi.WorkingDirectory = $WorkingDirectory
    $psi.Environment['PYTHONUNBUFFERED'] = '1'
    $psi.Environment['PYTHONUTF8'] = '1'
    $psi.Environment['PYTHONDONTWRITEBYTECODE'] = '1'
    $process = [System.Diagnostics.Process]::Start($psi)
    $process.StandardInput.Close()
    $newStream = { param($reader) @{ Reader = $reader; Task = $null; Eof = $false; Lines = [System.Collections.Generic.List[string]]::new(); Cursor = 0 } }
    $script:Processes[$process.Id] = @{
        Process     = $process
        Namespace   = $Namespace
        CommandLine = (@($psi.FileName) + $all) -join ' '
        Streams     = [ordered]@{ Output = & $newStream $process.StandardOutput; Error = & $newStream $process.StandardError }
    }
    $process
}

function Start-InTestHost {
    <#
    .SYNOPSIS
        Starts a background process inside a test host's namespace (`ip netns exec <ns> ...`).
    .EXAMPLE
        $p = Start-InTestHost -TestHost $domain.GetHost('b') -ArgumentList (Get-TestPython), "$peers/udp_echo_server.py", '--host', '0.0.0.0'
    #>
    [CmdletBinding()]
    [OutputType([System.Diagnostics.Process])]
    param(
        [Parameter(Mandatory)] [object] $TestHost,
        [Parameter(Mandatory)] [string[]] $ArgumentList
    )
    $ns = Resolve-TestHostNamespace $TestHost
    Start-TestProcess -FilePath $ArgumentList[0] -ArgumentList @($ArgumentList | Select-Object -Skip 1) -Namespace $ns
}

function Wait-TestProcessOutput {
    <#
    .SYNOPSIS
        Waits (bounded) for the next line of a started process that matches a regex, and returns
        the System.Text.RegularExpressions.Match. Lines before it are consumed. Throws, with the
        process's output, on timeout or when the process ends first.
    .EXAMPLE
        $port = [int] (Wait-TestProcessOutput $p '^LISTENING (\d+)$').Groups[1].Value
    #>
    [CmdletBinding()]
    [OutputType([System.Text.RegularExpressions.Match])]
    param(
        [Parameter(Mandatory, Position = 0)] [System.Diagnostics.Process] $Process,
        [Parameter(Mandatory, Position = 1)] [string] $Pattern,
        [double] $TimeoutSeconds = 10,
        [ValidateSet('Output', 'Error')] [string] $Stream = 'Output'
    )
    $state = Get-ProcessState $Process
    $s = $state.Streams[$Stream]
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
    while ($true) {
        Update-ProcessStream $state
        while ($s.Cursor -lt $s.Lines.Count) {
            $match = [regex]::Match($s.Lines[$s.Cursor], $Pattern)
            $s.Cursor++
            if ($match.Success) { return $match }
        }
        if ($s.Eof) {
            $code = if ($Process.WaitForExit(2000)) { $Process.ExitCode } else { '?' }
            throw "The process ended (exit $code) without a line matching '$Pattern'.`n$(Format-ProcessOutput $state)"
        }
        $left = ($deadline - [DateTime]::UtcNow).TotalMilliseconds
        if ($left -le 0) {
            throw "No line matching '$Pattern' within $TimeoutSeconds s.`n$(Format-ProcessOutput $state)"
        }
        Wait-ProcessStream $state ([Math]::Min(200, $left))
    }
}

function Wait-TestPeerListening {
    <# .SYNOPSIS Waits for a peer's 'LISTENING <port>' line and returns the port as [int]. #>
    [CmdletBinding()]
    [OutputType([int])]
    param([Parameter(Mandatory, Position = 0)] [System.Diagnostics.Process] $Process, [double] $TimeoutSeconds = 10)
    [int] (Wait-TestProcessOutput -Process $Process -Pattern '^LISTENING (\d+)$' -TimeoutSeconds $TimeoutSeconds).Groups[1].Value
}

function Receive-TestProcessOutput {
    <#
    .SYNOPSIS
        Returns the lines of a started process not yet consumed (and consumes them). With -Wait it
        first waits (bounded by -TimeoutSeconds) until the process closes its output.
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory, Position = 0)] [System.Diagnostics.Process] $Process,
        [switch] $Wait,
        [double] $TimeoutSeconds = 10,
        [ValidateSet('Output', 'Error')] [string] $Stream = 'Output'
    )
    $state = Get-ProcessState $Process
    $s = $state.Streams[$Stream]
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
    Update-ProcessStream $state
    while ($Wait -and -not $s.Eof) {
        $left = ($deadline - [DateTime]::UtcNow).TotalMilliseconds
        if ($left -le 0) { Write-Warning "Output of process $($Process.Id) still open after $TimeoutSeconds s."; break }
        Wait-ProcessStream $state ([Math]::Min(200, $left))
        Update-ProcessStream $state
    }
    while ($s.Cursor -lt $s.Lines.Count) {
        $s.Lines[$s.Cursor]
        $s.Cursor++
    }
}

function Stop-TestProcess {
    <#
    .SYNOPSIS
        Ends a started process: SIGTERM (so peers print their summary line, e.g. ECHOED <n>), then
        SIGKILL after -TimeoutSeconds. -Kill: SIGKILL at once, to the process and its children
        (e.g. socat's forked children). -PassThru returns its remaining stdout lines. -All ends
        every process this module started that is still running.
    #>
    [CmdletBinding(DefaultParameterSetName = 'Process')]
    param(
        [Parameter(ParameterSetName = 'Process', Mandatory, Position = 0, ValueFromPipeline)]
        [AllowNull()] [System.Diagnostics.Process[]] $Process,
        [Parameter(ParameterSetName = 'All', Mandatory)] [switch] $All,
        [double] $TimeoutSeconds = 5,
        [switch] $Kill,
        [switch] $PassThru
    )
    process {
        $targets = if ($All) { @($script:Processes.Values | ForEach-Object Process) } else { @($Process | Where-Object { $_ }) }
        foreach ($p in $targets) {
            if ($Kill -and -not $p.HasExited) {
                try { $p.Kill($true) } catch { Write-Verbose "process $($p.Id): $_" }
                $null = $p.WaitForExit(5000)
            }
            if (-not $p.HasExited) {
                & kill -s TERM $p.Id 2>$null
                if (-not $p.WaitForExit([int] ($TimeoutSeconds * 1000))) {
                    try { $p.Kill($true) } catch { Write-Verbose "process $($p.Id): $_" }
                    $null = $p.WaitForExit(5000)
                }
            }
            if ($script:Processes.ContainsKey($p.Id)) {
                $lines = Receive-TestProcessOutput -Process $p -Wait -TimeoutSeconds 5
                if ($PassThru) { $lines }
            }
        }
    }
}

# Ends a process started with Start-InTestHost: Stop-TestProcess by its other name.
Set-Alias -Name Stop-InTestHost -Value Stop-TestProcess

function Invoke-TestProcess {
    # Runs a process to its end (bounded) and returns ExitCode, Output, Error, TimedOut.
    [CmdletBinding()]
    param(
        [Parameter(Mandatory, Position = 0)] [string] $FilePath,
        [Parameter(Position = 1)] [string[]] $ArgumentList = @(),
        [string] $Namespace,
        [double] $TimeoutSeconds = 30
    )
    $p = Start-TestProcess -FilePath $FilePath -ArgumentList $ArgumentList -Namespace $Namespace
    # Read while it runs: a process that writes more than a pipe holds would otherwise never end.
    $clock = [System.Diagnostics.Stopwatch]::StartNew()
    $output = @(Receive-TestProcessOutput -Process $p -Wait -TimeoutSeconds $TimeoutSeconds -WarningAction SilentlyContinue)
    $timedOut = -not $p.WaitForExit([int] [Math]::Max(0, $TimeoutSeconds * 1000 - $clock.Elapsed.TotalMilliseconds))
    if ($timedOut) { try { $p.Kill($true) } catch { Write-Verbose "$_" }; $null = $p.WaitForExit(5000) }
    $output += @(Receive-TestProcessOutput -Process $p -Wait -TimeoutSeconds 5)
    $errors = @(Receive-TestProcessOutput -Process $p -Wait -TimeoutSeconds 5 -Stream Error)
    $code = if ($p.WaitForExit(5000)) { $p.ExitCode } else { -1 }
    $global:LASTEXITCODE = $code
    $script:Processes.Remove($p.Id)
    [pscustomobject]@{
        PSTypeName = 'PSUdp.Test.ProcessResult'
        ExitCode   = $code
        Output     = $output
        Error      = $errors
        TimedOut   = $timedOut
    }
}

function Invoke-InTestHost {
    <#
    .SYNOPSIS
        Runs `ip netns exec <namespace> <ArgumentList>` to its end (bounded) and returns its stdout
        lines; sets $LASTEXITCODE. A non-zero exit is a non-terminating error (with stderr) unless
        -PassThru, which returns an object with ExitCode, Output, Error, TimedOut instead.
    .EXAMPLE
        Invoke-InTestHost -TestHost $domain.GetHost('a') -ArgumentList ip, -4, -o, addr, show, dev, eth0
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [object] $TestHost,
        [Parameter(Mandatory)] [string[]] $ArgumentList,
        [double] $TimeoutSeconds = 30,
        [switch] $PassThru
    )
    $ns = Resolve-TestHostNamespace $TestHost
    $result = Invoke-TestProcess -FilePath $ArgumentList[0] -ArgumentList @($ArgumentList | Select-Object -Skip 1) -Namespace $ns -TimeoutSeconds $TimeoutSeconds
    if ($PassThru) { return $result }
    if ($result.ExitCode -ne 0) {
        Write-Error -Message "In $ns, '$($ArgumentList -join ' ')' exited with $($result.ExitCode)$(if ($result.TimedOut) { ' (timed out)' }): $($result.Error -join "`n")" -ErrorId 'TestHostCommandFailed' -TargetObject $ns
    }
    $result.Output
}

#endregion

#region peers

function Get-TestPython {
    <# .SYNOPSIS The python3 executable for the peers ($env:PSUDP_TEST_PYTHON, else python3 on PATH, shims resolved). #>
    [CmdletBinding()]
    [OutputType([string])]
    param()
    if ($script:Python) { return $script:Python }
    $candidate = if ($env:PSUDP_TEST_PYTHON) { $env:PSUDP_TEST_PYTHON } else { 'python3' }
    $resolved = & $candidate -c 'import sys; print(sys.executable)' 2>$null
    if ($LASTEXITCODE -ne 0 -or -not $resolved) { throw "python3 not found ('$candidate'); the test peers need Python 3." }
    $script:Python = "$resolved".Trim()
    $script:Python
}

function Get-TestPeerPath {
    <# .SYNOPSIS Full path of a peer script in tests/peers (e.g. udp_receiver -> .../udp_receiver.py). #>
    [CmdletBinding()]
    [OutputType([string])]
    param([Parameter(Mandatory, Position = 0)] [string] $Name)
    if (-not $Name.EndsWith('.py')) { $Name += '.py' }
    $path = Join-Path $script:PeerDirectory $Name
    if (-not (Test-Path -LiteralPath $path)) { throw "No peer '$Name' in $script:PeerDirectory." }
    $path
}

function Start-TestPeer {
    <#
    .SYNOPSIS
        Starts a peer (tests/peers/<Name>.py) in the background, here or inside a test host.
    .EXAMPLE
        $rx = Start-TestPeer udp_receiver '--port', '0', '--count', '1'; $port = Wait-TestPeerListening $rx
    #>
    [CmdletBinding()]
    [OutputType([System.Diagnostics.Process])]
    param(
        [Parameter(Mandatory, Position = 0)]
        [ValidateSet('udp_sender', 'udp_receiver', 'udp_echo_server', 'udp_echo_client', 'udp_broadcaster', 'udp_spoof', 'udp_multicast', 'udp_impaired_echo', 'udp_relay_referee')]
        [string] $Name,
        [Parameter(Position = 1)] [string[]] $ArgumentList = @(),
        [object] $TestHost
    )
    $ns = if ($TestHost) { Resolve-TestHostNamespace $TestHost } else { $null }
    Start-TestProcess -FilePath (Get-TestPython) -ArgumentList (@(Get-TestPeerPath $Name) + $ArgumentList) -Namespace $ns
}

function Invoke-TestPeer {
    <#
    .SYNOPSIS
        Runs a peer to its end (bounded), here or inside a test host; returns ExitCode, Output,
        Error, TimedOut.
    .EXAMPLE
        (Invoke-TestPeer udp_echo_client '127.0.0.1', $port, '--text', 'hi').Output | Should -Match '^REPLY '
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory, Position = 0)]
        [ValidateSet('udp_sender', 'udp_receiver', 'udp_echo_server', 'udp_echo_client', 'udp_broadcaster', 'udp_spoof', 'udp_multicast', 'udp_impaired_echo', 'udp_relay_referee')]
        [string] $Name,
        [Parameter(Position = 1)] [string[]] $ArgumentList = @(),
        [object] $TestHost,
        [double] $TimeoutSeconds = 30
    )
    $ns = if ($TestHost) { Resolve-TestHostNamespace $TestHost } else { $null }
    Invoke-TestProcess -FilePath (Get-TestPython) -ArgumentList (@(Get-TestPeerPath $Name) + $ArgumentList) -Namespace $ns -TimeoutSeconds $TimeoutSeconds
}

function ConvertFrom-PeerLine {
    <#
    .SYNOPSIS
        Parses peer lines 'RECV|REPLY|ECHO|DROPPED|IGNORED <addr> <port> <hex> [<dst>]' into objects
        with Kind, Address, Port, Hex, Payload (byte[]), Destination. Other lines are skipped.
    #>
    [CmdletBinding()]
    param([Parameter(ValueFromPipeline)] [AllowEmptyString()] [string[]] $Line)
    process {
        foreach ($l in $Line) {
            if ($l -match '^(RECV|REPLY|ECHO|DROPPED|IGNORED) (\S+) (\d+) ([0-9a-f]*)(?: (\S+))?$') {
                $hex = $Matches[4]
                [pscustomobject]@{
                    PSTypeName  = 'PSUdp.Test.PeerDatagram'
                    Kind        = $Matches[1]
                    Address     = $Matches[2]
                    Port        = [int] $Matches[3]
                    Hex         = $hex
                    Payload     = [byte[]] @(for ($i = 0; $i -lt $hex.Length; $i += 2) { [Convert]::ToByte($hex.Substring($i, 2), 16) })
                    Destination = $Matches[5]
                }
            }
        }
    }
}

function Get-FreeUdpPort {
    <# .SYNOPSIS A UDP port that is free right now on 127.0.0.1 (for programs that cannot bind port 0 and report it, e.g. socat). #>
    [CmdletBinding()]
    [OutputType([int])]
    param([string] $Address = '127.0.0.1')
    $client = [System.Net.Sockets.UdpClient]::new([System.Net.IPEndPoint]::new([System.Net.IPAddress]::Parse($Address), 0))
    try { $client.Client.LocalEndPoint.Port } finally { $client.Dispose() }
}

#endregion

#region the routed network

function New-TestRoutedNetwork {
    <#
    .SYNOPSIS
        Makes a routed network of three namespaces: host A, router R, host B (A - R - B).
    .DESCRIPTION
        Two links, each a veth pair made inside R with its peer moved straight into the host:

            <Prefix>a   eth0 192.0.2.2/24, 2001:db8:a::2/64; default via R (192.0.2.1, 2001:db8:a::1)
            <Prefix>r   ra 192.0.2.1/24, 2001:db8:a::1/64 and rb 203.0.113.1/24, 2001:db8:b::1/64;
                        IPv4 and IPv6 forwarding on, ICMP rate limits off (so every probe gets its
                        ICMP error: tests stay deterministic)
            <Prefix>b   eth0 203.0.113.2/24, 2001:db8:b::2/64; default via R (203.0.113.1, 2001:db8:b::1)

        The R-B link has MTU -LinkMtu (1280 by default, the IPv6 minimum), so a larger don't-
        fragment datagram from A gets R's ICMP "fragmentation needed" / "packet too big". IPv6
        addresses are added without duplicate address detection, so they are usable at once.
        Documentation prefixes only (RFC 5737, RFC 3849), and nothing is added to the root
        namespace. Remove it with Remove-TestBroadcastDomain (-Prefix or the returned object).
    .OUTPUTS
        PSUdp.Test.RoutedNetwork: Prefix, Namespaces, A, R, B (each Name, Namespace, Address,
        Address6, InterfaceName), RouterAddressA/B (and 6), LinkMtu.
    #>
    [CmdletBinding()]
    param(
        [ValidatePattern('^[a-z][a-z0-9]{0,11}$')]
        [string] $Prefix = ('r' + [System.IO.Path]::GetRandomFileName().Substring(0, 5).Replace('.', 'x')),
        [ValidateRange(1280, 9000)] [int] $LinkMtu = 1280
    )
    $nsA = "${Prefix}a"; $nsR = "${Prefix}r"; $nsB = "${Prefix}b"
    $existing = Get-NamespaceList
    $clash = @($nsA, $nsR, $nsB | Where-Object { $_ -in $existing })
    if ($clash) { throw "Network namespace(s) $($clash -join ', ') already exist; choose another -Prefix." }
    $created = [System.Collections.Generic.List[string]]::new()
    $script:Domains[$Prefix] = $created
    try {
        foreach ($ns in $nsA, $nsR, $nsB) {
            $null = Invoke-IpCommand netns add $ns
            $created.Add($ns)
            $null = Invoke-IpCommand -n $ns link set lo up
        }
        $null = Invoke-IpCommand -n $nsR link add ra type veth peer name eth0 netns $nsA
        $null = Invoke-IpCommand -n $nsR link add rb mtu $LinkMtu type veth peer name eth0 mtu $LinkMtu netns $nsB
        $null = Invoke-IpCommand -n $nsR addr add 192.0.2.1/24 dev ra
        $null = Invoke-IpCommand -n $nsR addr add 2001:db8:a::1/64 dev ra nodad
        $null = Invoke-IpCommand -n $nsR addr add 203.0.113.1/24 dev rb
        $null = Invoke-IpCommand -n $nsR addr add 2001:db8:b::1/64 dev rb nodad
        $null = Invoke-IpCommand -n $nsA addr add 192.0.2.2/24 dev eth0
        $null = Invoke-IpCommand -n $nsA addr add 2001:db8:a::2/64 dev eth0 nodad
        $null = Invoke-IpCommand -n $nsB addr add 203.0.113.2/24 dev eth0
        $null = Invoke-IpCommand -n $nsB addr add 2001:db8:b::2/64 dev eth0 nodad
        foreach ($pair in @(@($nsR, 'ra'), @($nsR, 'rb'), @($nsA, 'eth0'), @($nsB, 'eth0'))) {
            $null = Invoke-IpCommand -n $pair[0] link set $pair[1] up
        }
        $null = Invoke-IpCommand -n $nsA route add default via 192.0.2.1
        $null = Invoke-IpCommand -n $nsA -6 route add default via 2001:db8:a::1
        $null = Invoke-IpCommand -n $nsB route add default via 203.0.113.1
        $null = Invoke-IpCommand -n $nsB -6 route add default via 2001:db8:b::1
        foreach ($setting in 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1', 'net.ipv4.icmp_ratelimit=0', 'net.ipv6.icmp.ratelimit=0') {
            $out = & ip netns exec $nsR sysctl -q -w $setting 2>&1
            if ($LASTEXITCODE -ne 0) { throw "sysctl -w $setting in $nsR failed: $out" }
        }
        foreach ($pair in @(@($nsR, 'ra'), @($nsR, 'rb'), @($nsA, 'eth0'), @($nsB, 'eth0'))) {
            $deadline = [DateTime]::UtcNow.AddSeconds(5)
            while ("$(Invoke-IpCommand -n $pair[0] -o link show $pair[1])" -notmatch '\bstate UP\b') {
                if ([DateTime]::UtcNow -gt $deadline) { throw "$($pair[1]) in $($pair[0]) did not come up." }
                Start-Sleep -Milliseconds 50
            }
        }
    }
    catch {
        $failure = $_
        Remove-TestBroadcastDomain -Prefix $Prefix
        throw "New-TestRoutedNetwork -Prefix $Prefix failed and was rolled back: $($failure.Exception.Message)"
    }
    $hostOf = {
        param($name, $ns, $address, $address6, $interface)
        [pscustomobject]@{ PSTypeName = 'PSUdp.Test.Host'; Name = $name; Namespace = $ns; Address = $address; Address6 = $address6; InterfaceName = $interface }
    }
    [pscustomobject]@{
        PSTypeName      = 'PSUdp.Test.RoutedNetwork'
        Prefix          = $Prefix
        Namespaces      = @($created)
        A               = & $hostOf 'a' $nsA '192.0.2.2' '2001:db8:a::2' 'eth0'
        R               = & $hostOf 'r' $nsR '192.0.2.1' '2001:db8:a::1' 'ra'
        B               = & $hostOf 'b' $nsB '203.0.113.2' '2001:db8:b::2' 'eth0'
        RouterAddressA  = '192.0.2.1'
        RouterAddressA6 = '2001:db8:a::1'
        RouterAddressB  = '203.0.113.1'
        RouterAddressB6 = '2001:db8:b::1'
        LinkMtu         = $LinkMtu
    }
}


function New-TestRoutedChain {
    <#
    .SYNOPSIS
        Makes a routed chain of namespaces for traces: A - R1 - R2 - R3 - B, or with -Ecmp
        A - R1 - (R2a | R2b) - R3 - B, with IPv4 and IPv6, each link a veth pair of its own.
    .DESCRIPTION
        Link n (1 A-R1, 2 R1-R2, 3 R2-R3, 4 R3-B; with -Ecmp 2 R1-R2a, 3 R2a-R3, 5 R1-R2b,
        6 R2b-R3) is 198.51.100.(16n-16)/28 and 2001:db8:7n::/64: the side toward A is .(16n-15)
        and ::1, the side toward B .(16n-14) and ::2. Interfaces are named l<n> on both ends. Each
        router forwards IPv4 and IPv6, routes toward B by default and back toward A by the A-side
        prefixes; with -Ecmp R1's route toward B has two equal next hops (R2a and R2b) and
        fib_multipath_hash_policy 1 (the layer-4 five-tuple) for both families. MTU: -Mtu2 on link
        2 (and 5), -Mtu3 on links 3, 4 (and 6): 1400 and 1280 by default. ICMP rate limits are off
        in every namespace unless -DefaultIcmpRateLimit. Documentation prefixes only, nothing in
        the root namespace; remove it with Remove-TestBroadcastDomain.
    .OUTPUTS
        PSUdp.Test.RoutedChain: Prefix, Namespaces, A, R1, R2 (R2a, R2b with -Ecmp), R3, B (each
        Name, Namespace, Address, Address6: the address it answers a trace from A with, the one
        on its A-side link), Hops (the expected trace from A: hop 2 is R2 or R2a/R2b) and Hops6.
    #>
    [CmdletBinding()]
    param(
        [ValidatePattern('^[a-z][a-z0-9]{0,9}$')]
        [string] $Prefix = ('c' + [System.IO.Path]::GetRandomFileName().Substring(0, 5).Replace('.', 'x')),
        [ValidateRange(1280, 9000)] [int] $Mtu2 = 1400,
        [ValidateRange(1280, 9000)] [int] $Mtu3 = 1280,
        [switch] $Ecmp,
        [switch] $DefaultIcmpRateLimit
    )
    $names = if ($Ecmp) { 'a', 'r1', 'r2a', 'r2b', 'r3', 'b' } else { 'a', 'r1', 'r2', 'r3', 'b' }
    $ns = @{}; foreach ($n in $names) { $ns[$n] = "$Prefix$n" }
    # link number, A-side node, B-side node, MTU
    $links = if ($Ecmp) {
        @(1, 'a', 'r1', 1500), @(2, 'r1', 'r2a', $Mtu2), @(3, 'r2a', 'r3', $Mtu3), @(4, 'r3', 'b', $Mtu3), @(5, 'r1', 'r2b', $Mtu2), @(6, 'r2b', 'r3', $Mtu3)
    }
    else { @(1, 'a', 'r1', 1500), @(2, 'r1', 'r2', $Mtu2), @(3, 'r2', 'r3', $Mtu3), @(4, 'r3', 'b', $Mtu3) }
    $v4 = { param($link, $side) "198.51.100.$(16 * $link - 16 + $side)" }
    $v6 = { param($link, $side) "2001:db8:7$($link)::$side" }
    $clash = @($ns.Values | Where-Object { $_ -in (Get-NamespaceList) })
    if ($clash) { throw "Network namespace(s) $($clash -join ', ') already exist; choose another -Prefix." }
    $created = [System.Collections.Generic.List[string]]::new()
    $script:Domains[$Prefix] = $created
    try {
        foreach ($n in $names) {
            $null = Invoke-IpCommand netns add $ns[$n]
            $created.Add($ns[$n])
            $null = Invoke-IpCommand -n $ns[$n] link set lo up
            $null = & ip netns exec $ns[$n] sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0 2>&1
        }
        foreach ($l in $links) {
            $id, $near, $far, $mtu = $l
            $null = Invoke-IpCommand -n $ns[$near] link add "l$id" mtu $mtu type veth peer name "l$id" mtu $mtu netns $ns[$far]
            $null = Invoke-IpCommand -n $ns[$near] addr add "$(& $v4 $id 1)/28" dev "l$id"
            $null = Invoke-IpCommand -n $ns[$near] addr add "$(& $v6 $id 1)/64" dev "l$id" nodad
            $null = Invoke-IpCommand -n $ns[$far] addr add "$(& $v4 $id 2)/28" dev "l$id"
            $null = Invoke-IpCommand -n $ns[$far] addr add "$(& $v6 $id 2)/64" dev "l$id" nodad
            $null = Invoke-IpCommand -n $ns[$near] link set "l$id" up
            $null = Invoke-IpCommand -n $ns[$far] link set "l$id" up
        }
        $route = {
            param($node, $to, $via)
            if ($to -eq 'default') {
                $null = Invoke-IpCommand -n $ns[$node] route add default via (& $v4 $via[0] $via[1])
                $null = Invoke-IpCommand -n $ns[$node] -6 route add default via (& $v6 $via[0] $via[1])
            }
            else {
                $null = Invoke-IpCommand -n $ns[$node] route add "$(& $v4 $to 0)/28" via (& $v4 $via[0] $via[1])
                $null = Invoke-IpCommand -n $ns[$node] -6 route add "$(& $v6 $to 0)/64" via (& $v6 $via[0] $via[1])
            }
        }
        & $route 'a' 'default' @(1, 2)
        & $route 'b' 'default' @(4, 1)
        if ($Ecmp) {
            $null = Invoke-IpCommand -n $ns['r1'] route add default nexthop via (& $v4 2 2) nexthop via (& $v4 5 2)
            $null = Invoke-IpCommand -n $ns['r1'] -6 route add default nexthop via (& $v6 2 2) nexthop via (& $v6 5 2)
            foreach ($r in @(@('r2a', 2, 3), @('r2b', 5, 6))) {
                & $route $r[0] 'default' @($r[2], 2)
                & $route $r[0] 1 @($r[1], 1)
            }
            & $route 'r3' 1 @(3, 1); & $route 'r3' 2 @(3, 1); & $route 'r3' 5 @(6, 1)
        }
        else {
            & $route 'r1' 'default' @(2, 2)
            & $route 'r2' 'default' @(3, 2)
            & $route 'r2' 1 @(2, 1)
            & $route 'r3' 1 @(3, 1); & $route 'r3' 2 @(3, 1)
        }
        foreach ($n in $names) {
            $settings = @(if ($n -like 'r*') { 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1' })
            if (-not $DefaultIcmpRateLimit) { $settings += 'net.ipv4.icmp_ratelimit=0', 'net.ipv6.icmp.ratelimit=0' }
            if ($Ecmp -and $n -eq 'r1') { $settings += 'net.ipv4.fib_multipath_hash_policy=1', 'net.ipv6.fib_multipath_hash_policy=1' }
            foreach ($setting in $settings) {
                $out = & ip netns exec $ns[$n] sysctl -q -w $setting 2>&1
                if ($LASTEXITCODE -ne 0) { throw "sysctl -w $setting in $($ns[$n]) failed: $out" }
            }
        }
        foreach ($l in $links) {
            foreach ($n in $l[1], $l[2]) {
                $deadline = [DateTime]::UtcNow.AddSeconds(5)
                while ("$(Invoke-IpCommand -n $ns[$n] -o link show "l$($l[0])")" -notmatch '\bstate UP\b') {
                    if ([DateTime]::UtcNow -gt $deadline) { throw "l$($l[0]) in $($ns[$n]) did not come up." }
                    Start-Sleep -Milliseconds 50
                }
            }
        }
    }
    catch {
        $failure = $_
        Remove-TestBroadcastDomain -Prefix $Prefix
        throw "New-TestRoutedChain -Prefix $Prefix failed and was rolled back: $($failure.Exception.Message)"
    }
    # Each node answers from its address on the link toward A.
    $toward = @{ a = @(1, 1); r1 = @(1, 2); r2 = @(2, 2); r2a = @(2, 2); r2b = @(5, 2); r3 = @(3, 2); b = @(4, 2) }
    $chain = [ordered]@{ PSTypeName = 'PSUdp.Test.RoutedChain'; Prefix = $Prefix; Namespaces = @($created); Ecmp = [bool] $Ecmp }
    foreach ($n in $names) {
        $chain[$n.ToUpperInvariant()] = [pscustomobject]@{
            PSTypeName = 'PSUdp.Test.Host'; Name = $n; Namespace = $ns[$n]
            Address = & $v4 $toward[$n][0] $toward[$n][1]; Address6 = & $v6 $toward[$n][0] $toward[$n][1]
        }
    }
    $chain.Mtu2 = $Mtu2; $chain.Mtu3 = $Mtu3
    [pscustomobject] $chain
}

#endregion

#region PSUdp in a test host

function Get-TestPwsh {
    <# .SYNOPSIS The pwsh that runs the tests, as a command line (dotnet and pwsh.dll, or pwsh), for a second, independent pwsh. #>
    [CmdletBinding()]
    [OutputType([string])]
    param()
    $process = [Environment]::ProcessPath
    if ([IO.Path]::GetFileNameWithoutExtension($process) -eq 'dotnet') { @($process, "$PSHOME/pwsh.dll") } else { @($process) }
}

function Start-PSUdpInTestHost {
    <#
    .SYNOPSIS
        Starts PSUdp in a test host's own pwsh (PSModulePath is inherited, so the built module),
        stopping at the first error; the script prints what the test reads.
    .EXAMPLE
        $p = Start-PSUdpInTestHost -TestHost $domain.GetHost('a') -Script "Send-UdpBroadcast -Port 7788 -Message 'x'"
    #>
    [CmdletBinding()]
    [OutputType([System.Diagnostics.Process])]
    param(
        [Parameter(Mandatory, Position = 0)] [object] $TestHost,
        [Parameter(Mandatory, Position = 1)] [string] $Script
    )
    Start-InTestHost -TestHost $TestHost -ArgumentList (@(Get-TestPwsh) + @('-NoProfile', '-NonInteractive', '-Command', "`$ErrorActionPreference = 'Stop'; Import-Module PSUdp; $Script"))
}

function Invoke-PSUdpInTestHost {
    <# .SYNOPSIS Start-PSUdpInTestHost, run to its end (bounded): its output lines. #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory, Position = 0)] [object] $TestHost,
        [Parameter(Mandatory, Position = 1)] [string] $Script,
        [double] $TimeoutSeconds = 30
    )
    @(Receive-TestProcessOutput (Start-PSUdpInTestHost $TestHost $Script) -Wait -TimeoutSeconds $TimeoutSeconds)
}

function Start-PSUdpListenerInTestHost {
    <#
    .SYNOPSIS
        Starts a PSUdp listener job (`<Cmdlet> -Port <Port> <Arguments> -AsJob`) in each named host of a
        test domain, each in its own pwsh, and waits (bounded) until each prints LISTENING with the port.
        At its end each prints, per datagram, 'GOT <RemoteAddress> <LocalAddress> <Text>' and
        'ARRIVED <InterfaceName> <TimeToLive>', then 'STATE <the job's state>'. The processes by host name.
    .EXAMPLE
        $echoes = Start-PSUdpListenerInTestHost -Domain $domain -HostName 'b', 'c' -Cmdlet Start-UdpEcho -Port 7788 -Arguments '-Count 1'
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [object] $Domain,
        [Parameter(Mandatory)] [string[]] $HostName,
        [Parameter(Mandatory)] [string] $Cmdlet,
        [Parameter(Mandatory)] [int] $Port,
        [string] $Arguments = '',
        [double] $TimeoutSeconds = 30
    )
    $started = [ordered]@{}
    foreach ($n in $HostName) {
        $started[$n] = Start-PSUdpInTestHost $Domain.GetHost($n) "`$j = $Cmdlet -Port $Port $Arguments -AsJob; 'LISTENING ' + `$j.LocalPort; `$j | Wait-Job | Receive-Job | ForEach-Object { 'GOT ' + `$_.RemoteAddress + ' ' + `$_.LocalAddress + ' ' + `$_.Text; 'ARRIVED ' + `$_.InterfaceName + ' ' + `$_.TimeToLive }; 'STATE ' + `$j.State"
    }
    foreach ($n in $HostName) { Wait-TestPeerListening $started[$n] -TimeoutSeconds $TimeoutSeconds | Should -Be $Port }
    $started
}

#endregion

Export-ModuleMember -Function @(
    'Test-CanCreateNetworkNamespace', 'New-TestBroadcastDomain', 'Remove-TestBroadcastDomain',
    'Start-TestProcess', 'Start-InTestHost', 'Wait-TestProcessOutput', 'Wait-TestPeerListening',
    'Receive-TestProcessOutput', 'Stop-TestProcess', 'Invoke-TestProcess',
    'Invoke-InTestHost', 'Get-TestPython', 'Get-TestPeerPath', 'Start-TestPeer', 'Invoke-TestPeer',
    'ConvertFrom-PeerLine', 'Get-FreeUdpPort', 'New-TestRoutedNetwork', 'New-TestRoutedChain',
    'Get-TestPwsh', 'Start-PSUdpInTestHost', 'Invoke-PSUdpInTestHost', 'Start-PSUdpListenerInTestHost'
) -Alias 'Stop-InTestHost'
