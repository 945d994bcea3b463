# Start-UdpEcho under a burst: the echo reads batches (recvmmsg) and answers each batch with one
# sendmmsg, every answer from the address its datagram was sent to. The clients are the textbook
# python echo client (tests/peers/udp_echo_client.py --burst) on connected sockets, which the
# kernel hands only answers from the address they sent to; several at once, from and to
# different loopback addresses, so that batches mix sources and destinations.
BeforeAll {
    Import-Module PSUdp
    Import-Module "$PSScriptRoot/PSUdpTestUtilities.psm1" -Force
}

Describe 'Start-UdpEcho answers bursts in batches from the right address' {
    It 'answers four bursts of 500 at once, each from the address it was sent to (bound to <_>)' -ForEach '0.0.0.0', '::' -Skip:(-not $IsLinux) {
        $echo = Start-UdpEcho -Port 0 -LocalAddress $_ -MaximumRate 0 -AsJob
        try {
            $clients = foreach ($k in 0..3) {
                $info = [System.Diagnostics.ProcessStartInfo]::new('python3')
                foreach ($a in @((Join-Path $PSScriptRoot '../peers/udp_echo_client.py'), "127.0.0.$(20 + $k % 2)", $echo.LocalPort, '--text', "client$k-", '--burst', '500', '--timeout', '20', '--bind', "127.0.0.$(10 + $k):0")) { $info.ArgumentList.Add($a) }
                $info.RedirectStandardOutput = $true
                $info.UseShellExecute = $false
                [System.Diagnostics.Process]::Start($info)
            }
            foreach ($client in $clients) {
                $client.WaitForExit(60000) | Should -BeTrue -Because 'the client ends by itself'
                $line = $client.StandardOutput.ReadToEnd().Trim()
                $line | Should -Be 'BURST 500 500 500' -Because 'every answer comes back, from the address it was sent to, in order'
            }
            $echo | Stop-Job
            $got = @($echo | Receive-Job -WarningVariable warnings -WarningAction SilentlyContinue)
            $got.Count | Should -Be 2000
            @($got | Where-Object { "$($_.LocalAddress)" -eq '127.0.0.20' }).Count | Should -Be 1000
            @($warnings | Where-Object { "$_" -match 'not echoed' }) | Should -HaveCount 0
        }
        finally { $echo | Remove-Job -Force }
    }
}
