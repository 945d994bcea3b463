using System;
using System.Management.Automation;
using System.Net;
using PSUdp.Commands;
using PSUdp.Engine;
using PSUdp.Engine.Relay;

namespace PSUdp.Jobs;

/// <summary>
/// The job that Start-UdpRelay -AsJob returns: a relay running in the background. Its output has
/// the -PassThru datagrams as they are relayed and, when it ends, one summary per direction;
/// Summary shows them live. Location and LocalPort show where clients send, so port 0 is usable
/// at once. Stop-Job and Remove-Job stop the relay and close its sockets.
/// </summary>
public sealed class UdpRelayJob : Job
{
    private readonly UdpRelay relay;
    private readonly System.Threading.Thread pump;
    private volatile bool stopRequested;

    internal UdpRelayJob(string command, UdpRelay relay)
        : base(command, "UdpRelay")
    {
        this.relay = relay;
        PSJobTypeName = "PSUdpRelay";
        pump = new System.Threading.Thread(Pump) { IsBackground = true, Name = $"PSUdp relay job {Location}" };
    }

    /// <summary>The local address clients send to.</summary>
    public IPAddress LocalAddress => relay.LocalEndPoint.Address;

    /// <summary>The local port clients send to: the real one when port 0 was asked for.</summary>
    public int LocalPort => relay.LocalEndPoint.Port;

    /// <summary>The one endpoint the relay forwards to.</summary>
    public string Target => Addresses.Format(relay.Target);

    /// <summary>The seed of the relay's decisions: give it to -Seed to repeat them.</summary>
    public long Seed => relay.Seed;

    /// <summary>What each direction did so far: ToTarget, then ToClient.</summary>
    public UdpRelaySummary[] Summary => relay.Summaries();

    /// <summary>The relay's endpoint, such as 127.0.0.1:50123.</summary>
    public override string Location => Addresses.Format(relay.LocalEndPoint);

    /// <summary>True while output, warnings or errors wait to be received.</summary>
    public override bool HasMoreData => Output.Count > 0 || Error.Count > 0 || Warning.Count > 0;

    /// <summary>Each direction's counts.</summary>
    public override string StatusMessage => RelayReport.Status(relay.Summaries());

    /// <summary>Stops the relay (what it holds is discarded), closes its sockets and waits for the job to end.</summary>
    public override void StopJob()
    {
        stopRequested = true;
        relay.Stop();
        if (pump.IsAlive)
        {
            pump.Join(2000);
        }
    }

    internal void Start()
    {
        SetJobState(JobState.Running);
        relay.Start();
        pump.Start();
    }

    /// <summary>Stops the relay and releases it.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            StopJob();
            relay.Dispose();
        }

        base.Dispose(disposing);
    }

    // The job's own thread; nothing may escape it (see UdpListenerJob.Pump).
    private void Pump()
    {
        try
        {
            foreach (RelayedDatagram relayed in relay.Records.GetConsumingEnumerable())
            {
                Output.Add(RelayReport.Output(relayed));
            }

            relay.Ended.WaitOne();
            UdpRelaySummary[] summaries = relay.Summaries();
            foreach (UdpRelaySummary summary in summaries)
            {
                Output.Add(PSObject.AsPSObject(summary));
            }

            foreach (string warning in RelayReport.Warnings(relay, summaries, inJob: true))
            {
                Warning.Add(new WarningRecord(warning));
            }

            if (RelayReport.Error(relay) is { } error)
            {
                Error.Add(error);
                SetJobState(JobState.Failed);
            }
            else
            {
                SetJobState(stopRequested ? JobState.Stopped : JobState.Completed);
            }
        }
        catch (Exception e) when (e is ObjectDisposedException || (e is InvalidOperationException && (stopRequested || JobStateInfo.State is JobState.Stopped or JobState.Completed or JobState.Failed)))
        {
            // Removed or stopped while writing: nothing is left to report to.
        }
        catch (Exception e)
        {
            try
            {
                Error.Add(new ErrorRecord(e, "RelayJobFailed", ErrorCategory.NotSpecified, Location));
                SetJobState(JobState.Failed);
            }
            catch (Exception again) when (again is ObjectDisposedException || again is InvalidOperationException)
            {
                // Removed meanwhile.
            }
        }
    }
}
