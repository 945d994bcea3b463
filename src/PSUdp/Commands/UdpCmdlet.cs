using System;
using System.Management.Automation;
using System.Threading;
using PSUdp.Engine;
using PSUdp.Engine.Sockets;

namespace PSUdp.Commands;

/// <summary>
/// What every PSUdp cmdlet shares: Ctrl+C (StopProcessing) cancels <see cref="StopToken"/>, and
/// engine failures become ErrorRecords in one way.
/// </summary>
public abstract class UdpCmdlet : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource cancellation = new();

    /// <summary>
    /// Cancelled when the user presses Ctrl+C or the pipeline stops. Not named PipelineStopToken:
    /// PowerShell 7.5's Cmdlet has a member of that name, which this would hide.
    /// </summary>
    private protected CancellationToken StopToken => cancellation.Token;

    /// <summary>The address family that -IPv4 and -IPv6 choose; both at once end the cmdlet.</summary>
    private protected AddressFamilyChoice ChooseFamily(bool ipv4, bool ipv6)
    {
        if (ipv4 && ipv6)
        {
            ThrowTerminatingError(ErrorRecords.InvalidArguments("ConflictingAddressFamily",
                "-IPv4 and -IPv6 exclude each other. Give one of them, or neither to use both families."));
        }

        return ipv4 ? AddressFamilyChoice.IPv4 : ipv6 ? AddressFamilyChoice.IPv6 : AddressFamilyChoice.Any;
    }

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
