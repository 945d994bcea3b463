using System;
using System.Management.Automation;
using System.Threading;
using PSUdp.Engine;

namespace PSUdp.Commands;

/// <summary>
/// What every PSUdp cmdlet shares: Ctrl+C (StopProcessing) cancels <see cref="StopToken"/>, engine
/// failures become ErrorRecords in one way, and a listener's queue is drained onto the pipeline
/// thread, the only thread allowed to call WriteObject.
/// </summary>
public abstract class UdpCmdlet : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource cancellation = new();

    /// <summary>
    /// Cancelled when the user presses Ctrl+C or the pipeline stops. Not named StopToken:
    /// PowerShell 7.5's Cmdlet has a member of that name, which this would hide.
    /// </summary>
    private protected CancellationToken StopToken => cancellation.Token;

    /// <summary>The senders' -TimeToLive, -Dscp and -DontFragment into the options of a socket to be made; only what was given.</summary>
    private protected SocketOptions WithIPLevel(SocketOptions options, int timeToLive, int dscp, bool dontFragment)
    {
        if (MyInvocation.BoundParameters.ContainsKey("TimeToLive"))
        {
            options.TimeToLive = timeToLive;
        }

        if (MyInvocation.BoundParameters.ContainsKey("Dscp"))
        {
            options.Dscp = dscp;
        }

        options.DontFragment = dontFragment;
        return options;
    }

    /// <summary>Reports a per-item failure and goes on.</summary>
    private protected void WriteUdpError(UdpException exception, object? target = null) =>
        WriteError(ErrorRecords.From(exception, target, MyInvocation.MyCommand));

    /// <summary>Ends the cmdlet with a failure.</summary>
    private protected void ThrowUdpError(UdpException exception, object? target = null) =>
        ThrowTerminatingError(ErrorRecords.From(exception, target, MyInvocation.MyCommand));

    /// <summary>
    /// Writes each datagram of a running listener as it arrives, until the listener ends or the
    /// user stops the cmdlet; then warns about drops and reports a failed loop.
    /// </summary>
    private protected void WriteDatagrams(DatagramListener listener)
    {
        try
        {
            foreach (UdpDatagram datagram in listener.Queue.Drain(StopToken))
            {
                WriteObject(datagram);
            }
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C: StopProcessing already stopped the listener.
            return;
        }

        listener.Stop();
        if (listener.Queue.Dropped > 0)
        {
            WriteWarning(DropWarning(listener));
        }

        if (listener.Fault is { } fault)
        {
            WriteUdpError(fault);
        }
    }

    /// <summary>The warning for datagrams a listener had to drop.</summary>
    internal static string DropWarning(DatagramListener listener) =>
        $"{listener.Queue.Dropped:N0} of {listener.Received:N0} datagrams received on {Addresses.Format(listener.LocalEndPoint)} were not written because the pipeline could not keep up (an echo server still answered them). Make the pipeline faster (filter early, write to a file less often) or use -AsJob and Receive-Job more often.";

    /// <summary>Cancels <see cref="StopToken"/>; subclasses stop their engine too.</summary>
    protected override void StopProcessing() => cancellation.Cancel();

    /// <summary>Releases the cancellation source.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases what the cmdlet holds; PowerShell calls it when the pipeline ends.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            cancellation.Dispose();
        }
    }
}
