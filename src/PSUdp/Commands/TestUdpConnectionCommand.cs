using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Management.Automation;
using System.Net;
using PSUdp.Engine;
using PSUdp.Engine.Probes;
using PSUdp.Engine.Sockets;
using PSUdp.Engine.Text;
using PSUdp.Engine.Trace;

namespace PSUdp.Commands;

/// <summary>
/// Tells for each host and port whether a UDP service answers: Open, Closed, Filtered or
/// OpenOrFiltered as nmap -sU means them, with the evidence; with -Count, a ping-like series.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "UdpConnection", DefaultParameterSetName = ProbeSet)]
[OutputType(typeof(UdpProbeResult))]
[OutputType(typeof(UdpProbeSummary))]
[OutputType(typeof(bool))]
[OutputType(typeof(UdpTraceHop))]
public sealed class TestUdpConnectionCommand : UdpCmdlet, IPayloadParameters
{
    private const string ProbeSet = "Probe";

    // A sweep that takes longer than this shows Write-Progress.
    private static readonly TimeSpan ProgressAfter = TimeSpan.FromSeconds(1);

    private readonly List<ProbeTarget> targets = new();
    private ProbePayload? chosen;
    private ProbeSweep? sweep;
    private AddressFamilyChoice family;

    #region Parameters

    /// <summary>The hosts to probe: names or addresses.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("TargetName", "RemoteAddress", "cn")]
    [ValidateNotNullOrEmpty]
    public string[] ComputerName { get; set; } = Array.Empty<string>();

    /// <summary>The UDP ports to probe on each host: 53, 123, 1000..1100.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [Alias("RemotePort")]
    [ValidateNotNullOrEmpty]
    [ValidateRange(1, 65535)]
    public int[] Port { get; set; } = Array.Empty<int>();

    /// <summary>The protocol probe to send, by name (tab completion), instead of each port's own.</summary>
    [Parameter(ParameterSetName = ProbeSet)]
    [ArgumentCompleter(typeof(ProbeNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Probe { get; set; }

    /// <summary>Text to send instead of a probe, encoded with -Encoding.</summary>
    [Parameter(Mandatory = true, ParameterSetName = PayloadSets.Message)]
    [AllowEmptyString]
    public string Message { get; set; } = string.Empty;

    /// <summary>Bytes to send instead of a probe.</summary>
    [Parameter(Mandatory = true, ParameterSetName = PayloadSets.Payload)]
    [AllowEmptyCollection]
    public byte[] Payload { get; set; } = Array.Empty<byte>();

    /// <summary>Bytes to send instead of a probe, as hex digits ('DE AD be:ef').</summary>
    [Parameter(Mandatory = true, ParameterSetName = PayloadSets.Hex)]
    [AllowEmptyString]
    public string Hex { get; set; } = string.Empty;

    /// <summary>Encodes -Message and decodes the Text of replies; UTF-8 without BOM by default.</summary>
    [Parameter]
    [EncodingTransformation]
    [ArgumentCompleter(typeof(EncodingCompleter))]
    public System.Text.Encoding Encoding { get; set; } = EncodingResolver.Default;

    /// <summary>How many times to send again after silence before the verdict is OpenOrFiltered.</summary>
    [Parameter]
    [ValidateRange(0, 10)]
    public int Retries { get; set; } = 2;

    /// <summary>How long each probe waits for its reply or ICMP error, in seconds.</summary>
    [Parameter]
    [Alias("TimeoutSec")]
    [ValidateTimeout]
    public double TimeoutSeconds { get; set; } = 1;

    /// <summary>Sends this many probes to each target, one per -IntervalSeconds, and writes a summary of loss and round trips; with -Traceroute, the probes per hop (1-10, 3 by default).</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int Count { get; set; }

    /// <summary>The time between the probes of a -Count series, in seconds.</summary>
    [Parameter]
    [ValidateRange(0.0, 3600.0)]
    public double IntervalSeconds { get; set; } = 1;

    /// <summary>With -Count, also writes a result for each probe of the series.</summary>
    [Parameter]
    public SwitchParameter Detailed { get; set; }

    /// <summary>Writes $true (Open) or $false per target instead of result objects.</summary>
    [Parameter]
    public SwitchParameter Quiet { get; set; }

    /// <summary>How many targets (host and port) are probed at once.</summary>
    [Parameter]
    [ValidateRange(1, 1024)]
    public int ThrottleLimit { get; set; } = 32;

    /// <summary>The local address to send from.</summary>
    [Parameter]
    public IPAddress? LocalAddress { get; set; }

    /// <summary>The IPv4 TTL or IPv6 hop limit of each probe, 1-255; the system's default when left out.</summary>
    [Parameter]
    [Alias("Ttl", "HopLimit")]
    [ValidateRange(1, 255)]
    public int TimeToLive { get; set; }

    /// <summary>The DSCP of each probe: 0-63 or a name (EF, AF11..AF43, CS0..CS7); the ECN bits are left alone.</summary>
    [Parameter]
    [DscpTransformation]
    [ArgumentCompleter(typeof(DscpCompleter))]
    [ValidateRange(0, 63)]
    public int Dscp { get; set; }

    /// <summary>Sets don't-fragment on each probe (IPv4 DF with path-MTU discovery, IPv6 IPV6_DONTFRAG).</summary>
    [Parameter]
    public SwitchParameter DontFragment { get; set; }

    /// <summary>Traces the path to the host and port instead: one UdpTraceHop per hop, with probes of growing TTL (hop limit) that all keep one flow.</summary>
    [Parameter]
    public SwitchParameter Traceroute { get; set; }

    /// <summary>With -Traceroute: the largest TTL (hop limit) probed, 1-255.</summary>
    [Parameter]
    [ValidateRange(1, 255)]
    public int MaxHops { get; set; } = 30;

    /// <summary>With -Traceroute: each probe goes to the next destination port from -Port on, as classic traceroute does, instead of one flow.</summary>
    [Parameter]
    public SwitchParameter VaryPort { get; set; }

    /// <summary>With -Traceroute: finds the path MTU with don't-fragment probes, as tracepath does, and reports each hop's MTU where it drops.</summary>
    [Parameter]
    public SwitchParameter DiscoverMtu { get; set; }

    /// <summary>Uses IPv4 only.</summary>
    [Parameter]
    public SwitchParameter IPv4 { get; set; }

    /// <summary>Uses IPv6 only.</summary>
    [Parameter]
    public SwitchParameter IPv6 { get; set; }

    #endregion

    // Probes per hop of a trace: traceroute's -q allows 1 to 10.
    private const int MaxTraceCount = 10;

    private static readonly string[] SeriesOnly = { nameof(Quiet), nameof(Detailed), nameof(IntervalSeconds), nameof(Retries), nameof(ThrottleLimit), nameof(TimeToLive) };
    private static readonly string[] TraceOnly = { nameof(MaxHops), nameof(VaryPort), nameof(DiscoverMtu) };

    private bool IsSeries => MyInvocation.BoundParameters.ContainsKey(nameof(Count)) && !Traceroute;

    /// <summary>Checks the parameters and what to send before anything is sent.</summary>
    protected override void BeginProcessing()
    {
        family = ChooseFamily(IPv4, IPv6);
        CheckTraceParameters();

        if (Quiet && Detailed)
        {
            ThrowTerminatingError(ErrorRecords.InvalidArguments("ConflictingOutput",
                "-Quiet writes one $true or $false per target, and -Detailed a result per probe; give one of them."));
        }

        if (!IsSeries && (Detailed || MyInvocation.BoundParameters.ContainsKey(nameof(IntervalSeconds))))
        {
            WriteWarning("-Detailed and -IntervalSeconds apply to a series, so they take effect only with -Count.");
        }

        chosen = ChoosePayload();
        if (chosen is not null && IsSeries && !chosen.MatchesReplies)
        {
            ThrowTerminatingError(CannotMatch(chosen.Name));
        }
    }

    /// <summary>Resolves each host and lists its ports as targets.</summary>
    protected override void ProcessRecord()
    {
        foreach (string name in ComputerName)
        {
            IPAddress address;
            try
            {
                address = Addresses.Resolve(name, family, StopToken)[0];
            }
            catch (UdpException e)
            {
                WriteUdpError(e, name);
                continue;
            }
            catch (OperationCanceledException)
            {
                return;
            }

            foreach (int port in Port)
            {
                ProbePayload payload = chosen ?? (Traceroute ? ProbePayload.ForTrace(port) : ProbePayload.ForPort(port));
                if (IsSeries && !payload.MatchesReplies)
                {
                    ThrowTerminatingError(CannotMatch(payload.Name, port));
                }

                targets.Add(new ProbeTarget(name, new IPEndPoint(address, port), payload));
            }
        }
    }

    /// <summary>Probes every target and writes the results in the order the targets were given.</summary>
    protected override void EndProcessing()
    {
        if (targets.Count == 0)
        {
            return;
        }

        if (Traceroute)
        {
            Trace();
            return;
        }

        var settings = new ProbeSettings
        {
            Socket = WithIPLevel(new SocketOptions { LocalAddress = LocalAddress, Family = family }, TimeToLive, Dscp, DontFragment),
            Retries = Retries,
            Timeout = TimeSpan.FromSeconds(TimeoutSeconds),
            Count = IsSeries ? Count : 0,
            Interval = TimeSpan.FromSeconds(IntervalSeconds),
            Detailed = Detailed,
            ThrottleLimit = ThrottleLimit,
            Encoding = Encoding,
        };
        WriteVerbose($"Probing {targets.Count} targets, {Math.Min(ThrottleLimit, targets.Count)} at a time.");
        sweep = new ProbeSweep(targets, settings);
        var clock = Stopwatch.StartNew();
        bool showedProgress = false;
        try
        {
            sweep.Start();
            foreach (object? item in sweep.Results(StopToken, TimeSpan.FromMilliseconds(250)))
            {
                Write(item);
                if (clock.Elapsed > ProgressAfter)
                {
                    ShowProgress(clock.Elapsed);
                    showedProgress = true;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C: StopProcessing stopped the sweep.
        }
        finally
        {
            sweep.Dispose();
            if (showedProgress)
            {
                WriteProgress(new ProgressRecord(1, "Test-UdpConnection", "Done") { RecordType = ProgressRecordType.Completed });
            }
        }
    }

    /// <summary>Stops the sweep at once (Ctrl+C).</summary>
    protected override void StopProcessing()
    {
        base.StopProcessing();
        sweep?.Stop();
    }

    private void CheckTraceParameters()
    {
        IEnumerable<string> bound = MyInvocation.BoundParameters.Keys;
        if (!Traceroute)
        {
            if (TraceOnly.Intersect(bound).FirstOrDefault() is { } alone)
            {
                ThrowTerminatingError(ErrorRecords.InvalidArguments("TraceParameterWithoutTraceroute",
                    $"-{alone} is a parameter of a trace; add -Traceroute, or leave out -{alone}.", alone));
            }

            return;
        }

        if (SeriesOnly.Intersect(bound).FirstOrDefault() is { } other)
        {
            ThrowTerminatingError(ErrorRecords.InvalidArguments("ConflictingTraceParameter",
                $"-{other} does not apply to -Traceroute, which sets the TTL of each probe itself and writes one object per hop; leave out -{other}, or -Traceroute.", other));
        }

        if (MyInvocation.BoundParameters.ContainsKey(nameof(Count)) && Count > MaxTraceCount)
        {
            ThrowTerminatingError(ErrorRecords.InvalidArguments("TraceCountOutOfRange",
                $"With -Traceroute, -Count is the probes per hop, 1 to {MaxTraceCount}; {Count} is too many.", Count));
        }
    }

    private void Trace()
    {
        if (targets.Count != 1)
        {
            // Known only once every host and port is bound (they may come from the pipeline).
            int hosts = targets.Select(t => t.ComputerName).Distinct().Count();
            int ports = targets.Select(t => t.EndPoint.Port).Distinct().Count();
            ThrowTerminatingError(ErrorRecords.InvalidArguments("TraceOneTarget",
                $"-Traceroute traces the path to one host and one port; {hosts} {(hosts == 1 ? "host" : "hosts")} and {ports} {(ports == 1 ? "port" : "ports")} were given. Trace each in its own command.",
                targets.Select(t => Addresses.Format(t.EndPoint)).ToArray()));
        }

        SocketOptions socket = WithIPLevel(new SocketOptions { LocalAddress = LocalAddress, Family = family }, 0, Dscp, DontFragment || DiscoverMtu);
        socket.ProbePathMtu = DiscoverMtu;
        var settings = new TraceSettings
        {
            Socket = socket,
            MaxHops = MaxHops,
            Count = MyInvocation.BoundParameters.ContainsKey(nameof(Count)) ? Count : 3,
            Timeout = TimeSpan.FromSeconds(TimeoutSeconds),
            VaryPort = VaryPort,
            DiscoverMtu = DiscoverMtu,
            Encoding = Encoding,
        };
        ProbeTarget target = targets[0];
        WriteVerbose($"Tracing the path to {Addresses.Format(target.EndPoint)}, at most {MaxHops} hops, {settings.Count} probes per hop.");
        var clock = Stopwatch.StartNew();
        bool showedProgress = false;
        try
        {
            PathTracer.Trace(target, settings, StopToken, hop =>
            {
                WriteObject(hop);
                if (clock.Elapsed > ProgressAfter)
                {
                    WriteProgress(new ProgressRecord(1, "Test-UdpConnection -Traceroute",
                        $"Hop {hop.Hop} of at most {MaxHops}: {hop.DisplayAddress}") { PercentComplete = 100 * hop.Hop / MaxHops });
                    showedProgress = true;
                }
            });
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C: the trace closed its socket on the way out.
        }
        catch (UdpException e)
        {
            WriteUdpError(e, target.ComputerName);
        }
        finally
        {
            if (showedProgress)
            {
                WriteProgress(new ProgressRecord(1, "Test-UdpConnection -Traceroute", "Done") { RecordType = ProgressRecordType.Completed });
            }
        }
    }

    private ProbePayload? ChoosePayload()
    {
        try
        {
            return this.GivenBytes() is { } bytes ? ProbePayload.Custom(bytes)
                : Probe is null ? null
                : ProbePayload.Of(ProbeCatalog.Get(Probe));
        }
        catch (UdpException e)
        {
            ThrowUdpError(e);
            return null;
        }
    }

    private ErrorRecord CannotMatch(string payload, int? port = null)
    {
        string what = payload switch
        {
            "Custom" => "A payload of your own carries no sequence number",
            "Empty" => $"Port {port} has no protocol probe, so an empty datagram would be sent, which carries no sequence number",
            _ => $"The {payload} probe's protocol has no transaction id",
        };
        return ErrorRecords.InvalidArguments("CannotMatchReplies",
            $"{what}, so the replies of a -Count series could not be matched to their probes (a late reply would count for the wrong probe). " +
            "Use -Probe Echo against an echo service (Start-UdpEcho), a probe whose protocol has an id (Dns, Ntp, Snmp, Stun...), or leave out -Count for one verdict.",
            payload);
    }

    private void Write(object? item)
    {
        switch (item)
        {
            case UdpException e:
                WriteUdpError(e);
                break;
            case UdpProbeResult result when Quiet:
                if (result.Sequence is null)
                {
                    WriteObject(result.Verdict == UdpVerdict.Open);
                }

                break;
            case UdpProbeSummary summary when Quiet:
                WriteObject(summary.Verdict == UdpVerdict.Open);
                break;
            case not null:
                WriteObject(item);
                break;
        }
    }

    private void ShowProgress(TimeSpan elapsed)
    {
        int done = sweep!.Done;
        int total = sweep.Total;
        var (open, closed, filtered, silent) = sweep.Verdicts;
        var record = new ProgressRecord(1, "Test-UdpConnection",
            $"{done:N0} of {total:N0} targets: {open} open, {closed} closed, {filtered} filtered, {silent} open|filtered")
        {
            PercentComplete = (int)(100L * done / total),
        };
        if (done > 0)
        {
            record.SecondsRemaining = (int)(elapsed.TotalSeconds / done * (total - done));
        }

        WriteProgress(record);
    }
}
