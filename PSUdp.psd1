@{
    RootModule           = 'PSUdp.dll'
    # build.ps1 replaces this with ModuleVersion from Directory.Build.props, the one version source.
    ModuleVersion        = '0.0.0'
    GUID                 = '5b0f6d2e-8c1a-4f3e-9a57-2d6c1e8b4f10'
    Author               = 'PSUdp contributors'
    CompanyName          = 'PSUdp contributors'
    Copyright            = 'Copyright (c) PSUdp contributors'
    Description          = 'UDP as a first-class citizen of the shell: send, receive, echo and broadcast datagrams as typed objects in the pipeline.'
    PowerShellVersion    = '5.1'
    CompatiblePSEditions = @('Core', 'Desktop')
    FormatsToProcess     = @('PSUdp.Format.ps1xml')
    CmdletsToExport      = @('Send-UdpDatagram', 'Receive-UdpDatagram', 'Start-UdpEcho', 'Send-UdpBroadcast', 'Test-UdpConnection', 'Export-UdpDatagram', 'Import-UdpDatagram', 'Start-UdpRelay')
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('UDP', 'Network', 'Socket', 'Datagram', 'Broadcast', 'Echo', 'Syslog', 'Linux', 'Windows', 'MacOS')
            ProjectUri   = 'https://github.com/psudp/PSUdp'
            LicenseUri   = 'https://github.com/psudp/PSUdp/blob/main/LICENSE'
            ReleaseNotes = 'See https://github.com/psudp/PSUdp/releases'
        }
    }
}
