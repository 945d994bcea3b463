using System;
using System.Management.Automation;
using System.Net;
using System.Text;
using PSUdp.Engine;
using PSUdp.Engine.Multicast;
using PSUdp.Jobs;
using PSUdp.Engine.Receive;
using PSUdp.Engine.Sockets;
using PSUdp.Engine.Text;

namespace PSUdp.Commands;

/// <summary>
/// What Receive-UdpDatagram and Start-UdpEcho share: the bind and stop parameters, binding in
/// BeginProcessing (so a busy port fails at once), writing datagrams as they arrive or handing
/// the listener to a job, and closing the socket on Ctrl+C.
/// </summary>
public abstract class UdpListenerCmdlet : UdpCmdlet
{
    /// <summary>
    /// 32 MiB holds about 14,000 datagrams of 1,400 bytes (40,000 small ones), some 50 ms of a
    /// loopback flood: enough to ride out the pipeline's start and a garbage collection, which 4 MiB
    /// was not (docs/performance.md).
    /// </summary>
    internal const int DefaultReceiveBufferSize = 32 * 1024 * 1024;

    private DatagramListener? listener;

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

    /// <summary>The socket's kernel receive buffer in bytes (SO_RCVBUF); 32 MiB by default.</summary>
    [Parameter]
    [ValidateRange(4096, int.MaxValue)]
    public int ReceiveBufferSize { get; set; } = DefaultReceiveBufferSize;

    /// <summary>Lets other sockets that also ask for it bind the same port.</summary>
    [Parameter]
    public SwitchParameter ReuseAddress { get; set; }

    /// <summary>Multicast groups to join (IPv4 224.0.0.0/4, IPv6 ff00::/8); they are left when the listener stops.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public IPAddress[] MulticastGroup { get; set; } = Array.Empty<IPAddress>();

    /// <summary>Joins the groups source-specifically: only datagrams from these senders arrive (IGMPv3/MLDv2).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public IPAddress[] SourceAddress { get; set; } = Array.Empty<IPAddress>();

    /// <summary>The interfaces to join the groups on ('*' for every one that is up); by default the system's choice.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(InterfaceNameCompleter))]
    public string[] InterfaceName { get; set; } = Array.Empty<string>();

    /// <summary>Listens in the background and returns a job at once.</summary>
    [Parameter]
    public SwitchParameter AsJob { get; set; }

    #endregion

    /// <summary>The job's name, such as UdpReceive.</summary>
    private protected abstract string JobName { get; }

    /// <summary>Makes and binds the engine listener; throws UdpException.</summary>
    private protected abstract DatagramListener CreateListener(ListenerOptions options);

    /// <summary>Binds the port; a busy port or a foreign address ends the cmdlet here.</summary>
    protected override void BeginProcessing()
    {
        if (MulticastGroup.Length == 0 && SourceAddress.Length > 0)
        {
            ThrowTerminatingError(ErrorRecords.InvalidArguments("SourceAddressWithoutGroup",
                "-SourceAddress chooses the senders of the groups that -MulticastGroup joins, so it needs -MulticastGroup. Give the groups too."));
        }

        if (MulticastGroup.Length == 0 && InterfaceName.Length > 0)
        {
            ThrowTerminatingError(ErrorRecords.InvalidArguments("InterfaceNameWithoutGroup",
                "-InterfaceName chooses where -MulticastGroup joins its groups, so it needs -MulticastGroup. Give the groups too, or leave out -InterfaceName."));
        }

        var options = new ListenerOptions
        {
            Socket = new SocketOptions
            {
                LocalAddress = LocalAddress,
                LocalPort = Port,
                ReuseAddress = ReuseAddress,
                KernelReceiveBufferSize = ReceiveBufferSize,
            },
            Encoding = Encoding,
            Count = Count,
            Duration = TimeoutSeconds > 0 ? TimeSpan.FromSeconds(TimeoutSeconds) : null,
            Multicast = new MulticastRequest { Groups = MulticastGroup, Sources = SourceAddress, InterfaceNames = InterfaceName },
        };
        try
        {
            listener = CreateListener(options);
        }
        catch (UdpException e)
        {
            ThrowUdpError(e);
        }

        WriteVerbose($"Listening on {Addresses.Format(listener!.LocalEndPoint)} with a {listener.KernelReceiveBufferSize:N0}-byte receive buffer, reading {(listener.ReadsOneAtATime ? "one datagram per receive" : "in batches")}.");
        foreach (string joined in listener.Memberships)
        {
            WriteVerbose($"Joined {joined}.");
        }
    }

    /// <summary>Writes datagrams as they arrive, or hands the listener to a job.</summary>
    protected override void ProcessRecord()
    {
        if (AsJob)
        {
            var job = new UdpListenerJob(MyInvocation.Line, JobName, listener!);
            listener = null;
            JobRepository.Add(job);
            job.Start();
            WriteObject(job);
            return;
        }

        listener!.Start();
        if (WriteDatagrams(listener))
        {
            Report(listener.Outcome());
        }
    }

    // Writes each datagram of the running listener as it arrives, on the pipeline thread (the only
    // one allowed to call WriteObject), until the listener ends; false when Ctrl+C came first.
    private bool WriteDatagrams(DatagramListener running)
    {
        try
        {
            foreach (UdpDatagram datagram in running.Queue.Drain(StopToken))
            {
                WriteObject(datagram);
            }
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C: StopProcessing already stopped the listener.
            return false;
        }

        running.Stop();
        return !StopToken.IsCancellationRequested;
    }

    private void Report(ListenerOutcome outcome)
    {
        foreach (string warning in ListenerReport.Warnings(outcome, inJob: false))
        {
            WriteWarning(warning);
        }

        if (ListenerReport.Error(outcome, MyInvocation.MyCommand) is { } error)
        {
            WriteError(error);
        }
    }

    /// <summary>Ctrl+C: stops the loop and closes the socket.</summary>
    protected override void StopProcessing()
    {
        base.StopProcessing();
        listener?.Stop();
    }

    /// <summary>Closes the socket.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            listener?.Dispose();
        }

        base.Dispose(disposing);
    }
}
