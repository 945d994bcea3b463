<#
.SYNOPSIS
    Test fixture for PSUdp over PowerShell remoting: SSH hosts in the network namespaces of
    TestHosts.psm1's New-TestBroadcastDomain, and a controller console inside one of them.

.DESCRIPTION
    New-TestSshLab turns hosts of a test broadcast domain into SSH hosts:

        every namespace   /etc/netns/<ns>/hosts names the hosts (a, b, c ...), so `ip netns exec`
                          gives each process in it an /etc/hosts with the lab's names
        each SSH host     Debian's sshd (/usr/sbin/sshd -D -e) started inside the namespace with a
                          config of its own in <Path>/<name>/: its own ed25519 host key, the test's
                          port, key authentication only (root by key), PidFile there, and
                          `Subsystem powershell <Path>/<name>/pwsh-subsystem.sh`: a wrapper with
                          absolute paths that sets HOME to <Path>/<name>/home (so each host has its
                          own CurrentUser module folder) and runs the pinned pwsh with
                          -sshs -NoLogo -NoProfile
        the client side   a key pair and a known_hosts file in <Path>, given to ssh through
                          Invoke-Command's -KeyFilePath and -Options (ssh reads ~/.ssh from the
                          passwd entry, not from $HOME, so only options keep the user's files out)

    Start-TestController runs a script with the pinned pwsh inside the controller's namespace,
    because Invoke-Command starts `ssh` in the caller's own namespace. Remove-TestSshLab stops the
    sshd processes by pid and removes the /etc/netns files; Remove-TestBroadcastDomain then removes
    the namespaces (and kills whatever is left in them).
#>

Set-StrictMode -Version 3.0
Import-Module (Join-Path $PSScriptRoot 'TestHosts.psm1')
# Get-PwshCommand: the pinned pwsh that runs the tests, as a command line with absolute paths.
Import-Module (Join-Path $PSScriptRoot 'PSUdpTestUtilities.psm1')

$script:Sshd = '/usr/sbin/sshd'

function ConvertTo-ShellWord([string] $Text) { "'" + $Text.Replace("'", "'\''") + "'" }

function Test-CanRunTestSshHost {
    <#
    .SYNOPSIS
        Whether this machine can run the SSH lab: network namespaces (TestHosts.psm1), Debian's sshd,
        and the ssh client tools.
    .OUTPUTS
        An object with CanRun ($true/$false) and Reason (why not; empty when it can).
    #>
    [CmdletBinding()]
    param()
    $reason = $null
    $netns = Test-CanCreateNetworkNamespace
    if (-not $netns.CanCreate) { $reason = $netns.Reason }
    elseif (-not (Test-Path -LiteralPath $script:Sshd)) { $reason = "sshd is not installed ($script:Sshd; Debian package openssh-server)" }
    else {
        foreach ($tool in 'ssh', 'ssh-keygen') {
            if (-not (Get-Command $tool -CommandType Application -ErrorAction Ignore)) { $reason = "'$tool' is not installed (Debian package openssh-client)"; break }
        }
    }
    [pscustomobject]@{
        PSTypeName = 'PSUdp.Test.SshSupport'
        CanRun     = -not $reason
        Reason     = if ($reason) { $reason } else { '' }
    }
}

function New-TestSshKey([string] $Path, [string] $Comment) {
    $result = Invoke-TestProcess ssh-keygen '-q', '-t', 'ed25519', '-N', '', '-C', $Comment, '-f', $Path -TimeoutSeconds 30
    if ($result.ExitCode -ne 0) { throw "ssh-keygen -f $Path failed (exit $($result.ExitCode)): $($result.Error -join ' ')" }
    (Get-Content -Raw -LiteralPath "$Path.pub").Trim()
}

function New-TestSshLab {
    <#
    .SYNOPSIS
        Starts sshd with a PowerShell subsystem on hosts of a test broadcast domain, names every
        host in every namespace, and returns what a controller needs to connect.
    .OUTPUTS
        PSUdp.Test.SshLab: Domain, Path, Port, Hosts (Name, Namespace, Address, Directory, Home,
        PidFile, Process), Controller (a host of the domain), ClientKey, KnownHosts (what the
        client gives ssh with -KeyFilePath and -Options UserKnownHostsFile).
        On failure it stops what it started and throws.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] $Domain,
        # Folder of the lab's files (keys, configs, host homes); the test's TestDrive.
        [Parameter(Mandatory)] [string] $Path,
        # Hosts that run sshd.
        [Parameter(Mandatory)] [string[]] $HostName,
        # The host whose namespace runs the controller console.
        [Parameter(Mandatory)] [string] $ControllerName,
        [ValidateRange(1, 65535)] [int] $Port = 2222,
        [double] $TimeoutSeconds = 20
    )
    $Path = [IO.Path]::GetFullPath($Path)
    $lab = [pscustomobject]@{
        PSTypeName = 'PSUdp.Test.SshLab'
        Domain     = $Domain
        Path       = $Path
        Port       = $Port
        Hosts      = [System.Collections.Generic.List[object]]::new()
        Controller = $Domain.GetHost($ControllerName)
        ClientKey  = Join-Path $Path 'client_ed25519'
        KnownHosts = Join-Path $Path 'known_hosts'
        EtcNetns   = [System.Collections.Generic.List[string]]::new()
    }
    try {
        # Names for every namespace: ip netns exec bind-mounts /etc/netns/<ns>/hosts on /etc/hosts.
        $names = @('127.0.0.1 localhost', '::1 localhost') + @($Domain.Hosts | ForEach-Object { "$($_.Address) $($_.Name)" })
        foreach ($ns in $Domain.Hosts.Namespace) {
            $etc = "/etc/netns/$ns"
            $null = New-Item -ItemType Directory -Force $etc
            $lab.EtcNetns.Add($etc)
            Set-Content -LiteralPath "$etc/hosts" -Value $names
        }

        $clientPublic = New-TestSshKey $lab.ClientKey 'psudp-test-controller'
        Set-Content -LiteralPath (Join-Path $Path 'authorized_keys') -Value $clientPublic
        $pwsh = @(Get-PwshCommand | ForEach-Object { ConvertTo-ShellWord $_ }) -join ' '
        $known = foreach ($name in $HostName) {
            $h = $Domain.GetHost($name)
            $dir = (New-Item -ItemType Directory -Force (Join-Path $Path $name)).FullName
            $home_ = (New-Item -ItemType Directory -Force (Join-Path $dir 'home')).FullName
            $hostPublic = New-TestSshKey "$dir/ssh_host_ed25519_key" "psudp-test-host-$name"
            $wrapper = "$dir/pwsh-subsystem.sh"
            Set-Content -LiteralPath $wrapper -Value @(
                '#!/bin/sh'
                "# sshd's 'Subsystem powershell' of test host ${name}: absolute paths only (sshd runs it in /)."
                "HOME=$(ConvertTo-ShellWord $home_); export HOME"
                'POWERSHELL_TELEMETRY_OPTOUT=1; POWERSHELL_UPDATECHECK=Off; export POWERSHELL_TELEMETRY_OPTOUT POWERSHELL_UPDATECHECK'
                'cd "$HOME" || exit 1'
                "exec $pwsh -sshs -NoLogo -NoProfile"
            )
            & chmod 755 $wrapper
            Set-Content -LiteralPath "$dir/sshd_config" -Value @(
                "Port $Port"
                "ListenAddress $($h.Address)"
                "HostKey $dir/ssh_host_ed25519_key"
                "PidFile $dir/sshd.pid"
                "AuthorizedKeysFile $Path/authorized_keys"
                'PermitRootLogin prohibit-password'
                'AuthenticationMethods publickey'
                'PubkeyAuthentication yes'
                'PasswordAuthentication no'
                'KbdInteractiveAuthentication no'
                'UsePAM no'
                # The lab's files live under the test's temporary folder, which is world-writable.
                'StrictModes no'
                'PrintMotd no'
                'LogLevel INFO'
                "Subsystem powershell $wrapper"
            )
            # sshd's privilege separation directory (Debian's init script makes it).
            if (-not (Test-Path -LiteralPath '/run/sshd')) { $null = New-Item -ItemType Directory '/run/sshd'; & chmod 755 '/run/sshd' }
            $process = Start-InTestHost -TestHost $h -ArgumentList $script:Sshd, '-D', '-e', '-f', "$dir/sshd_config"
            $lab.Hosts.Add([pscustomobject]@{
                    PSTypeName = 'PSUdp.Test.SshHost'
                    Name       = $name
                    Namespace  = $h.Namespace
                    Address    = $h.Address
                    Directory  = $dir
                    Home       = $home_
                    PidFile    = "$dir/sshd.pid"
                    Process    = $process
                })
            $null = Wait-TestProcessOutput $process '^Server listening on ' -Stream Error -TimeoutSeconds $TimeoutSeconds
            "[$name]:$Port,[$($h.Address)]:$Port $(($hostPublic -split ' ')[0..1] -join ' ')"
        }
        Set-Content -LiteralPath $lab.KnownHosts -Value $known
    }
    catch {
        $failure = $_
        Remove-TestSshLab $lab
        throw "New-TestSshLab failed and was rolled back: $($failure.Exception.Message)"
    }
    $lab
}

function Remove-TestSshLab {
    <#
    .SYNOPSIS
        Stops the lab's sshd processes by pid (SIGTERM, then SIGKILL after 5 s) and removes its
        /etc/netns files. Idempotent; safe after a half-made lab.
    #>
    [CmdletBinding()]
    param([Parameter(Position = 0)] [AllowNull()] $Lab)
    if (-not $Lab) { return }
    # sshd -D stays the process that ip netns exec started, so its pid is the PidFile's.
    foreach ($h in $Lab.Hosts) { $null = Stop-TestProcess $h.Process -TimeoutSeconds 5 }
    foreach ($etc in $Lab.EtcNetns) { Remove-Item -LiteralPath $etc -Recurse -Force -ErrorAction Ignore }
    # /etc/netns itself goes only when empty (another run may be using it).
    try { [IO.Directory]::Delete('/etc/netns') } catch { Write-Verbose "/etc/netns stays: $($_.Exception.Message)" }
}

function Invoke-TestController {
    <#
    .SYNOPSIS
        Runs a script with the pinned pwsh inside the lab's controller namespace (so its ssh runs
        there), with this process's PSModulePath, to its end (bounded); returns ExitCode, Output,
        Error, TimedOut.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] $Lab,
        [Parameter(Mandatory)] [string] $FilePath,
        [string[]] $ArgumentList = @(),
        [double] $TimeoutSeconds = 120
    )
    $pwsh = @(Get-PwshCommand)
    $arguments = @($pwsh | Select-Object -Skip 1) + @('-NoLogo', '-NoProfile', '-NonInteractive', '-File', $FilePath) + $ArgumentList
    Invoke-TestProcess -FilePath $pwsh[0] -ArgumentList $arguments -Namespace $Lab.Controller.Namespace -TimeoutSeconds $TimeoutSeconds
}

Export-ModuleMember -Function 'Test-CanRunTestSshHost', 'New-TestSshLab', 'Remove-TestSshLab', 'Invoke-TestController'
