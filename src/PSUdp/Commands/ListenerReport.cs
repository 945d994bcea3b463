using System.Collections.Generic;
using System.Management.Automation;
using PSUdp.Engine;
using PSUdp.Engine.Receive;

namespace PSUdp.Commands;

/// <summary>
/// The one place a listener's <see cref="ListenerOutcome"/> becomes what the user reads: warnings,
/// an error and a job's status. The foreground cmdlets and the -AsJob job both use it.
/// </summary>
internal static class ListenerReport
{
    /// <summary>The warnings, in the order they are written; <paramref name="inJob"/> words the advice for a job's reader.</summary>
    internal static IEnumerable<string> Warnings(ListenerOutcome outcome, bool inJob)
    {
        string endPoint = Addresses.Format(outcome.LocalEndPoint);
        bool echo = outcome.Role == ListenerRole.Echo;
        if (outcome.Dropped > 0)
        {
            string what = $"{outcome.Dropped:N0} of {outcome.Received:N0} datagrams {(echo ? "echoed" : "received")} on {endPoint} were not written";
            string answered = echo ? " The echo server still answered them." : string.Empty;
            yield return inJob
                ? $"{what} because the job's output was not received fast enough.{answered} Call Receive-Job more often."
                : $"{what} because the pipeline could not keep up.{answered} Make the pipeline faster (filter early, write to a file less often), or use -AsJob and Receive-Job more often.";
        }

        if (outcome.DroppedByKernel is > 0 and long kernel)
        {
            yield return $"The system dropped {kernel:N0} datagrams for {endPoint} before PSUdp could read them: the socket's receive buffer was full. Give a larger -ReceiveBufferSize.";
        }

        if (outcome.Echo is { Refused: > 0 } refusals)
        {
            yield return $"{refusals.Refused:N0} datagrams were not echoed (the last from {refusals.LastReason}). The echo server does not answer broadcast, multicast or port-0 sources, the ports of looping services (7, 13, 17, 19, 37), itself, or more than -MaximumRate echoes per second to one peer.";
        }
    }

    /// <summary>The error for a listener that failed, or null.</summary>
    internal static ErrorRecord? Error(ListenerOutcome outcome, CommandInfo? command = null) =>
        outcome.Fault is { } fault ? ErrorRecords.From(fault, null, command) : null;

    /// <summary>A job's StatusMessage: how many datagrams came (or were echoed), were refused and dropped.</summary>
    internal static string Status(ListenerOutcome outcome)
    {
        string kernel = outcome.DroppedByKernel is { } k ? $", {k:N0} dropped by the system" : string.Empty;
        return outcome.Echo is { } echo
            ? $"{outcome.Received:N0} echoed, {echo.Refused:N0} refused, {outcome.Dropped:N0} dropped{kernel}"
            : $"{outcome.Received:N0} received, {outcome.Dropped:N0} dropped{kernel}";
    }
}
