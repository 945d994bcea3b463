using System;
using System.Management.Automation;
using System.Net;
using System.Text;
using PSUdp.Engine;
using PSUdp.Engine.Relay;
using PSUdp.Engine.Sockets;
using PSUdp.Engine.Text;
using PSUdp.Jobs;

namespace PSUdp.Commands;

/// <summary>
/// Runs a relay between clients and one target that impairs the traffic on purpose: loss (also in
/// runs), delay with jitter, duplication, reordering, corruption and a rate limit, each
/// reproducible with -Seed.
/// </summary>
[Cmdlet(VerbsLifecycle.Start, "UdpRelay")]
[OutputType(typeof(UdpRelaySummary))]
[OutputType(typeof(UdpDatagram))]
[OutputType(typeof(UdpRelayJob))]
public sealed class StartUdpRelayCommand : UdpCmdlet
{
    private UdpRelay? relay;

    #region Parameters

    /// <summary>The local UDP port clients send to; 0 lets the system choose a free one.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [Alias("LocalPort")]
    [ValidateRange(0, 65535)]
    public int Port { get; set; }

    /// <summary>The target every datagram is forwarded to: a name or an address.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [Alias("TargetName", "RemoteAddress", "cn")]
    [ValidateNotNullOrEmpty]
    public string ComputerName { get; set; } = string.Empty;

    /// <summary>The target's UDP port.</summary>
    [Parameter(Mandatory = true, Position = 2)]
    [ValidateRange(1, 65535)]
    public int RemotePort { get; set; }

    /// <summary>The local address clients send to; 127.0.0.1 by default (::1 with -IPv6).</summary>
    [Parameter]
    public IPAddress? LocalAddress { get; set; }

    /// <summary>Uses IPv4 only: the target's IPv4 address, and 127.0.0.1 for the clients.</summary>
    [Parameter]
    public SwitchParameter IPv4 { get; set; }

    /// <summary>Uses IPv6 only: the target's IPv6 address, and ::1 for the clients.</summary>
    [Parameter]
    public SwitchParameter IPv6 { get; set; }

    /// <summary>The directions the impairments apply to: Both (the default), ToTarget or ToClient.</summary>
    [Parameter]
    public RelayDirection Direction { get; set; } = RelayDirection.Both;

    /// <summary>The share of datagrams lost, in percent.</summary>
    [Parameter]
    [ValidateRange(0.0, 100.0)]
    public double LossPercent { get; set; }

    /// <summary>The mean length of a run of lost datagrams (the Gilbert model); 1, the default, loses each on its own.</summary>
    [Parameter]
    [ValidateRange(1.0, 1000000.0)]
    public double LossBurstLength { get; set; } = 1;

    /// <summary>The mean delay added to each datagram, in milliseconds.</summary>
    [Parameter]
    [Alias("Delay")]
    [ValidateRange(0.0, 3600000.0)]
    public double DelayMilliseconds { get; set; }

    /// <summary>Each delay is drawn uniformly from -DelayMilliseconds minus to plus this, in milliseconds.</summary>
    [Parameter]
    [Alias("Jitter")]
    [ValidateRange(0.0, 3600000.0)]
    public double JitterMilliseconds { get; set; }

    /// <summary>The share of datagrams sent twice, in percent.</summary>
    [Parameter]
    [ValidateRange(0.0, 100.0)]
    public double DuplicatePercent { get; set; }

    /// <summary>The share of datagrams held back behind the next datagram of their flow, in percent.</summary>
    [Parameter]
    [ValidateRange(0.0, 100.0)]
    public double ReorderPercent { get; set; }

    /// <summary>The share of datagrams with one payload bit flipped, in percent.</summary>
    [Parameter]
    [ValidateRange(0.0, 100.0)]
    public double CorruptPercent { get; set; }

    /// <summary>The most datagrams per second that leave in each impaired direction.</summary>
    [Parameter]
    [ValidateRange(0.001, 100000000.0)]
    public double RatePerSecond { get; set; }

    /// <summary>The most bits per second that leave in each impaired direction, IP and UDP headers included.</summary>
    [Parameter]
    [ValidateRange(1L, long.MaxValue)]
    public long BitsPerSecond { get; set; }

    /// <summary>The most datagrams held at once in each direction; more are dropped at the tail.</summary>
    [Parameter]
    [ValidateRange(1, 10000000)]
    public int QueueLength { get; set; } = Impairment.DefaultQueueLength;

    /// <summary>The seed of every random decision; the same seed and the same input give the same decisions.</summary>
    [Parameter]
    public int Seed { get; set; }

    /// <summary>A client with no datagram either way for this many seconds loses its flow.</summary>
    [Parameter]
    [ValidateRange(0.1, 86400.0)]
    public double FlowTimeoutSeconds { get; set; } = RelayOptions.DefaultFlowTimeoutSeconds;

    /// <summary>The most clients at once, each with its own upstream socket; datagrams of further clients are refused.</summary>
    [Parameter]
    [ValidateRange(1, 65535)]
    public int MaximumFlows { get; set; } = RelayOptions.DefaultMaximumFlows;

    /// <summary>Stops after this many datagrams, counted in both directions.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int Count { get; set; }

    /// <summary>Stops after this many seconds.</summary>
    [Parameter]
    [Alias("TimeoutSec")]
    [ValidateTimeout]
    public double TimeoutSeconds { get; set; }

    /// <summary>Decodes the Text of the -PassThru datagrams; UTF-8 by default.</summary>
    [Parameter]
    [EncodingTransformation]
    [ArgumentCompleter(typeof(EncodingCompleter))]
    public Encoding Encoding { get; set; } = EncodingResolver.Default;

    /// <summary>The kernel receive buffer of the clients' socket in bytes (SO_RCVBUF); 32 MiB by default.</summary>
    [Parameter]
    [ValidateRange(4096, int.MaxValue)]
    public int ReceiveBufferSize { get; set; } = UdpListenerCmdlet.DefaultReceiveBufferSize;

    /// <summary>Writes every datagram with what the relay did to it.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>Relays in the background and returns a job at once.</summary>
    [Parameter]
    public SwitchParameter AsJob { get; set; }

    #endregion

    /// <summary>Checks the impairment, resolves the target and binds; bad input binds nothing.</summary>
    protected override void BeginProcessing()
    {
        AddressFamilyChoice family = ChooseFamily(IPv4, IPv6);
        if (JitterMilliseconds > DelayMilliseconds)
        {
            ThrowTerminatingError(ErrorRecords.InvalidArguments("JitterLargerThanDelay",
                $"-JitterMilliseconds {JitterMilliseconds} is larger than -DelayMilliseconds {DelayMilliseconds}: the delays are drawn from delay minus to plus jitter, and none can be negative. Give a jitter of at most the delay.",
                JitterMilliseconds));
        }

        if (LossBurstLength > 1 && LossPercent == 0)
        {
            ThrowTerminatingError(ErrorRecords.InvalidArguments("LossBurstLengthWithoutLoss",
                "-LossBurstLength says how long the runs of lost datagrams are, so it needs -LossPercent. Give the loss too, or leave out -LossBurstLength.",
                LossBurstLength));
        }

        if (LossBurstLength > 1 && LossPercent < 100 && LossBurstLength < Impairment.MinimumBurstLength(LossPercent))
        {
            ThrowTerminatingError(ErrorRecords.InvalidArguments("LossBurstLengthTooShort",
                $"At {LossPercent} % loss the runs of lost datagrams are at least {Impairment.MinimumBurstLength(LossPercent):0.##} long on average. Give a -LossBurstLength of at least that, or less loss.",
                LossBurstLength));
        }

        IPEndPoint target = default!;
        try
        {
            target = new IPEndPoint(Addresses.Resolve(ComputerName, family, StopToken)[0], RemotePort);
        }
        catch (UdpException e)
        {
            ThrowUdpError(e, ComputerName);
        }

        var impairment = new Impairment
        {
            LossPercent = LossPercent,
            LossBurstLength = LossBurstLength,
            DelayMilliseconds = DelayMilliseconds,
            JitterMilliseconds = JitterMilliseconds,
            DuplicatePercent = DuplicatePercent,
            ReorderPercent = ReorderPercent,
            CorruptPercent = CorruptPercent,
            RatePerSecond = RatePerSecond,
            BitsPerSecond = BitsPerSecond,
            QueueLength = QueueLength,
        };
        long seed = MyInvocation.BoundParameters.ContainsKey(nameof(Seed)) ? Seed : Math.Abs(Guid.NewGuid().GetHashCode() % 1000000000);
        var options = new RelayOptions
        {
            Socket = new SocketOptions
            {
                LocalAddress = LocalAddress ?? (family == AddressFamilyChoice.IPv6 ? IPAddress.IPv6Loopback : IPAddress.Loopback),
                LocalPort = Port,
                Family = family,
                KernelReceiveBufferSize = ReceiveBufferSize,
            },
            Target = target,
            ToTarget = Direction == RelayDirection.ToClient ? Impairment.None : impairment,
            ToClient = Direction == RelayDirection.ToTarget ? Impairment.None : impairment,
            Seed = seed,
            Count = Count,
            Duration = TimeoutSeconds > 0 ? TimeSpan.FromSeconds(TimeoutSeconds) : null,
            FlowTimeout = TimeSpan.FromSeconds(FlowTimeoutSeconds),
            MaximumFlows = MaximumFlows,
            Record = PassThru,
            Encoding = Encoding,
        };
        try
        {
            relay = new UdpRelay(options);
        }
        catch (UdpException e)
        {
            ThrowUdpError(e);
        }

        WriteVerbose($"Relaying {Addresses.Format(relay!.LocalEndPoint)} to {Addresses.Format(relay.Target)} with seed {seed}: {Direction}, {Describe(impairment)}.");
    }

    /// <summary>Relays until the count, the timeout or Ctrl+C, or hands the relay to a job.</summary>
    protected override void ProcessRecord()
    {
        if (AsJob)
        {
            var job = new UdpRelayJob(MyInvocation.Line, relay!);
            relay = null;
            JobRepository.Add(job);
            job.Start();
            WriteObject(job);
            return;
        }

        relay!.Start();
        try
        {
            foreach (RelayedDatagram relayed in relay.Records.GetConsumingEnumerable(StopToken))
            {
                WriteObject(RelayReport.Output(relayed));
            }

            relay.Ended.WaitOne();
        }
        catch (OperationCanceledException)
        {
            return; // Ctrl+C: StopProcessing stopped the relay.
        }

        UdpRelaySummary[] summaries = relay.Summaries();
        foreach (string warning in RelayReport.Warnings(relay, summaries, inJob: false))
        {
            WriteWarning(warning);
        }

        if (RelayReport.Error(relay, MyInvocation.MyCommand) is { } error)
        {
            WriteError(error);
        }

        WriteObject(summaries, enumerateCollection: true);
    }

    /// <summary>Ctrl+C: stops the relay and closes its sockets.</summary>
    protected override void StopProcessing()
    {
        base.StopProcessing();
        relay?.Stop();
    }

    /// <summary>Closes the sockets.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            relay?.Dispose();
        }

        base.Dispose(disposing);
    }

    private static string Describe(Impairment i) => i.IsNone
        ? "no impairment"
        : $"loss {i.LossPercent} % (runs of {i.LossBurstLength}), delay {i.DelayMilliseconds} ± {i.JitterMilliseconds} ms, duplicate {i.DuplicatePercent} %, reorder {i.ReorderPercent} %, corrupt {i.CorruptPercent} %, rate {i.RatePerSecond}/s, {i.BitsPerSecond} bit/s, queue {i.QueueLength}";
}
