using System;
using System.Management.Automation;
using System.Net;
using System.Text;
using PSUdp.Engine;
using PSUdp.Jobs;

namespace PSUdp.Commands;

/// <summary>Binds a UDP port and writes each datagram that arrives.</summary>
[Cmdlet(VerbsCommunications.Receive, "UdpDatagram")]
[OutputType(typeof(UdpDatagram))]
[OutputType(typeof(UdpListenerJob))]
public sealed class ReceiveUdpDatagramCommand : UdpCmdlet
{
    private DatagramReceiver? receiver;

    #region Parameters

    /// <summary>The local UDP port to listen on; 0 lets the system choose a free one.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [Alias("LocalPort")]
    [ValidateRange(0, 65535)]
    public int Port { get; set; }

    /// <summary>The local address to listen on; by default every address, IPv4 and IPv6.</summary>
    [Parameter]
    public IPAddress? LocalAddress { get; set; }

    /// <summary>Stops after this many datagrams.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int Count { get; set; }

    /// <summary>Stops after this many seconds.</summary>
    [Parameter]
    [Alias("TimeoutSec")]
    [ValidateTimeout]
    public double TimeoutSeconds { get; set; }

    /// <summary>Decodes each datagram's Text; UTF-8 by default.</summary>
    [Parameter]
    [EncodingTransformation]
    [ArgumentCompleter(typeof(EncodingCompleter))]
    public Encoding Encoding { get; set; } = EncodingResolver.Default;

    /// <summary>The socket's kernel receive buffer in bytes (SO_RCVBUF); 4 MiB by default.</summary>
    [Parameter]
    [ValidateRange(4096, int.MaxValue)]
    public int ReceiveBufferSize { get; set; } = ListenerDefaults.ReceiveBufferSize;

    /// <summary>Lets other sockets that also ask for it bind the same port.</summary>
    [Parameter]
    public SwitchParameter ReuseAddress { get; set; }

    /// <summary>Listens in the background and returns a job at once.</summary>
    [Parameter]
    public SwitchParameter AsJob { get; set; }

    #endregion

    /// <summary>Binds the port; a busy port or a foreign address ends the cmdlet here.</summary>
    protected override void BeginProcessing()
    {
        try
        {
            receiver = new DatagramReceiver(ListenerDefaults.Options(
                LocalAddress, Port, ReuseAddress, ReceiveBufferSize, Encoding, Count, TimeoutSeconds));
        }
        catch (UdpException e)
        {
            ThrowUdpError(e);
        }

        WriteVerbose($"Listening on {Addresses.Format(receiver!.LocalEndPoint)} with a {receiver.ReceiveBufferSize:N0}-byte receive buffer.");
    }

    /// <summary>Writes datagrams as they arrive, or hands the receiver to a job.</summary>
    protected override void ProcessRecord()
    {
        if (AsJob)
        {
            var job = new UdpListenerJob(MyInvocation.Line, "UdpReceive", receiver!);
            receiver = null;
            JobRepository.Add(job);
            job.Start();
            WriteObject(job);
            return;
        }

        receiver!.Start();
        WriteDatagrams(receiver);
    }

    /// <summary>Ctrl+C: stops the receive loop and closes the socket.</summary>
    protected override void StopProcessing()
    {
        base.StopProcessing();
        receiver?.Stop();
    }

    /// <summary>Closes the socket.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            receiver?.Dispose();
        }

        base.Dispose(disposing);
    }
}
