using System.Collections.Generic;
using System.Management.Automation;
using PSUdp.Engine;
using PSUdp.Engine.Relay;

namespace PSUdp.Commands;

/// <summary>
/// The one place a relay's facts become what the user reads: each -PassThru datagram with what
/// was done to it, the warnings, the error and a job's status. The foreground cmdlet and the job
/// both use it.
/// </summary>
internal static class RelayReport
{
    /// <summary>The type name of a relayed datagram, ahead of PSUdp.UdpDatagram, for its own view.</summary>
    internal const string RelayedTypeName = "PSUdp.UdpDatagram#Relayed";

    /// <summary>
    /// The datagram itself (a UdpDatagram, as the relay received it) with RelayDirection,
    /// RelayAction, RelayHeld and RelayClient beside its own properties.
    /// </summary>
    internal static PSObject Output(RelayedDatagram relayed)
    {
        var output = new PSObject(relayed.Datagram);
        output.Properties.Add(new PSNoteProperty("RelayDirection", relayed.Direction));
        output.Properties.Add(new PSNoteProperty("RelayAction", relayed.Action));
        output.Properties.Add(new PSNoteProperty("RelayHeld", relayed.Held));
        output.Properties.Add(new PSNoteProperty("RelayClient", Addresses.Format(relayed.Client)));
        output.TypeNames.Insert(0, RelayedTypeName);
        return output;
    }

    /// <summary>The warnings, in the order they are written.</summary>
    internal static IEnumerable<string> Warnings(UdpRelay relay, UdpRelaySummary[] summaries, bool inJob)
    {
        if (relay.NotWritten > 0)
        {
            yield return $"{relay.NotWritten:N0} relayed datagrams were not written because the {(inJob ? "job's output was not received" : "pipeline could not keep up")} fast enough; the relay still relayed them. {(inJob ? "Call Receive-Job more often" : "Make the pipeline faster")}, or leave out -PassThru and read the summaries.";
        }

        if (summaries[0].Refused > 0)
        {
            yield return $"{summaries[0].Refused:N0} datagrams from clients beyond the {summaries[0].Flows:N0} flows were refused: the relay keeps at most -MaximumFlows clients at once. Give a larger -MaximumFlows, or a shorter -FlowTimeoutSeconds so idle clients make room sooner.";
        }

        if (relay.TargetErrors > 0)
        {
            yield return $"The target {Addresses.Format(relay.Target)} answered {relay.TargetErrors:N0} relayed datagrams with an ICMP error ({relay.LastTargetError}). Check that a service listens on port {relay.Target.Port} of {relay.Target.Address}.";
        }
    }

    /// <summary>The error for a relay that failed, or null.</summary>
    internal static ErrorRecord? Error(UdpRelay relay, CommandInfo? command = null) =>
        relay.Fault is { } fault ? ErrorRecords.From(fault, null, command) : null;

    /// <summary>A job's StatusMessage: each direction's counts.</summary>
    internal static string Status(UdpRelaySummary[] summaries)
    {
        UdpRelaySummary to = summaries[0];
        UdpRelaySummary back = summaries[1];
        return $"to target {to.Received:N0} received, {to.Forwarded:N0} forwarded, {to.Lost + to.QueueFull:N0} dropped; " +
            $"to clients {back.Received:N0} received, {back.Forwarded:N0} forwarded, {back.Lost + back.QueueFull:N0} dropped; {to.Flows:N0} flows";
    }
}
