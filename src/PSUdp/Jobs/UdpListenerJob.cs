using System;
using System.Management.Automation;
using System.Net;
using System.Threading;
using PSUdp.Commands;
using PSUdp.Engine;
using PSUdp.Engine.Receive;

namespace PSUdp.Jobs;

/// <summary>
/// The job that -AsJob returns: a listener running in the background, its datagrams in the job's
/// output. Get-Job, Receive-Job, Wait-Job, Stop-Job and Remove-Job work as for any job; Location
/// and LocalPort show the bound endpoint, so port 0 is usable at once.
/// </summary>
public sealed class UdpListenerJob : Job
{
    // Unread datagrams kept in the job's output. Past this the pump waits, the listener's bounded
    // queue fills and further datagrams are dropped and counted: memory stays bounded.
    private const int OutputLimit = 65536;

    private readonly DatagramListener listener;
    private readonly Thread pump;
    private volatile bool stopRequested;

    internal UdpListenerJob(string command, string name, DatagramListener listener)
        : base(command, name)
    {
        this.listener = listener;
        PSJobTypeName = "PSUdpListener";
        pump = new Thread(Pump) { IsBackground = true, Name = $"PSUdp job {Location}" };
    }

    /// <summary>The local address the job listens on.</summary>
    public IPAddress LocalAddress => listener.LocalEndPoint.Address;

    /// <summary>The local port the job listens on: the real one when port 0 was asked for.</summary>
    public int LocalPort => listener.LocalEndPoint.Port;

    /// <summary>Datagrams received so far.</summary>
    public long Received => listener.Received;

    /// <summary>Datagrams dropped so far because nobody read the job's output.</summary>
    public long Dropped => listener.Queue.Dropped;

    /// <summary>Datagrams the system dropped before the listener could read them (its receive buffer was full), where the platform counts them (Linux); else null.</summary>
    public long? DroppedByKernel => listener.Outcome().DroppedByKernel;

    /// <summary>Datagrams an echo server's loop guard did not answer (and did not write); 0 for a receiver.</summary>
    public long Refused => listener.Outcome().Echo?.Refused ?? 0;

    /// <summary>The bound endpoint, such as [::]:50123.</summary>
    public override string Location => Addresses.Format(listener.LocalEndPoint);

    /// <summary>True while output, warnings or errors wait to be received.</summary>
    public override bool HasMoreData => Output.Count > 0 || Error.Count > 0 || Warning.Count > 0;

    /// <summary>How many datagrams came (or were echoed), refused and dropped.</summary>
    public override string StatusMessage => ListenerReport.Status(listener.Outcome());

    /// <summary>Stops the listener, closes its socket and waits for the job to end.</summary>
    public override void StopJob()
    {
        stopRequested = true;
        listener.Stop();
        if (pump.IsAlive)
        {
            pump.Join(2000);
        }
    }

    internal void Start()
    {
        SetJobState(JobState.Running);
        listener.Start();
        pump.Start();
    }

    /// <summary>Stops the listener and releases it.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            StopJob();
            listener.Dispose();
        }

        base.Dispose(disposing);
    }

    // Runs on the job's own thread, so nothing may escape it (an unhandled exception there would
    // end the process). As in PowerShell's ThreadJob: a write to the job's streams after Stop-Job or
    // Remove-Job closed them is expected and dropped; any other failure becomes the job's error and
    // its Failed state.
    private void Pump()
    {
        try
        {
            foreach (UdpDatagram datagram in listener.Queue.Drain(CancellationToken.None))
            {
                while (Output.Count >= OutputLimit && !stopRequested)
                {
                    Thread.Sleep(10);
                }

                Output.Add(PSObject.AsPSObject(datagram));
            }

            Finish(listener.Outcome());
        }
        catch (Exception e) when (IsClosedStream(e))
        {
            // Removed or stopped while writing: nothing is left to report to.
        }
        catch (Exception e)
        {
            Fail(e);
        }
    }

    private void Finish(ListenerOutcome outcome)
    {
        foreach (string warning in ListenerReport.Warnings(outcome, inJob: true))
        {
            Warning.Add(new WarningRecord(warning));
        }

        if (ListenerReport.Error(outcome) is { } error)
        {
            Error.Add(error);
            SetJobState(JobState.Failed);
        }
        else
        {
            SetJobState(stopRequested ? JobState.Stopped : JobState.Completed);
        }
    }

    private void Fail(Exception e)
    {
        try
        {
            Error.Add(new ErrorRecord(e, "ListenerJobFailed", ErrorCategory.NotSpecified, Location));
            SetJobState(JobState.Failed);
        }
        catch (Exception again) when (IsClosedStream(again))
        {
            // Removed meanwhile.
        }
    }

    // PSDataCollection throws ObjectDisposedException once disposed, and PSInvalidOperationException
    // (an InvalidOperationException) once closed.
    private bool IsClosedStream(Exception e) =>
        e is ObjectDisposedException || (e is InvalidOperationException && (stopRequested || JobStateInfo.State is JobState.Stopped or JobState.Completed or JobState.Failed));
}
