using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Net;
using PSUdp.Engine;
using PSUdp.Engine.Interfaces;
using PSUdp.Engine.Send;
using PSUdp.Engine.Sockets;

namespace PSUdp.Commands;

/// <summary>Sends a datagram to a broadcast address and optionally collects every host's replies.</summary>
[Cmdlet(VerbsCommunications.Send, "UdpBroadcast", DefaultParameterSetName = PayloadSets.Message, SupportsShouldProcess = true)]
[OutputType(typeof(UdpDatagram))]
public sealed class SendUdpBroadcastCommand : UdpSendCmdlet
{
    private readonly List<(DatagramSender Sender, IPAddress Destination, string Via)> routes = new();

    #region Parameters

    /// <summary>The UDP port to broadcast to.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [Alias("RemotePort")]
    [ValidateRange(1, 65535)]
    public int Port { get; set; }

    /// <summary>The broadcast address; 255.255.255.255 (the limited broadcast) by default.</summary>
    [Parameter]
    [ValidateNotNull]
    public IPAddress BroadcastAddress { get; set; } = BroadcastAddresses.Limited;

    /// <summary>Sends the directed broadcast of each named interface's subnet out of that interface; '*' for all.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(InterfaceNameCompleter))]
    public string[] InterfaceName { get; set; } = Array.Empty<string>();

    /// <summary>The local port to send from; 0 lets the system choose.</summary>
    [Parameter]
    [ValidateRange(0, 65535)]
    public int LocalPort { get; set; }

    #endregion

    /// <summary>Finds the interfaces and binds one socket for each way out.</summary>
    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        if (MyInvocation.BoundParameters.ContainsKey(nameof(InterfaceName)) && MyInvocation.BoundParameters.ContainsKey(nameof(BroadcastAddress)))
        {
            ThrowTerminatingError(ErrorRecords.InvalidArguments("ConflictingDestination",
                "-InterfaceName sends each interface's own directed broadcast, so it excludes -BroadcastAddress. Give one of them."));
        }

        try
        {
            BroadcastAddresses.CheckDestination(BroadcastAddress);
            if (InterfaceName.Length == 0)
            {
                AddRoute(new SocketOptions { Family = AddressFamilyChoice.IPv4, LocalPort = LocalPort, Broadcast = true }, BroadcastAddress, "the routing table");
                return;
            }

            foreach (BroadcastInterface way in BroadcastAddresses.Resolve(InterfaceName))
            {
                var options = new SocketOptions { LocalAddress = way.Address, LocalPort = LocalPort, Broadcast = true, Device = way.Name };
                AddRoute(options, way.Broadcast, $"{way.Name} ({way.Address})");
            }
        }
        catch (UdpException e)
        {
            CloseRoutes();
            ThrowUdpError(e);
        }
    }

    /// <summary>Broadcasts the current input and collects replies.</summary>
    protected override void ProcessRecord()
    {
        if (CurrentPayload() is not { } payload)
        {
            return;
        }

        foreach (var (sender, destination, via) in routes)
        {
            var target = new IPEndPoint(destination, Port);
            try
            {
                sender.CheckTarget(target, payload.Length);
                if (!ShouldSend(Addresses.Format(target), $"Broadcast a {payload.Length:N0}-byte UDP datagram through {via}"))
                {
                    continue;
                }

                WriteVerbose($"Broadcasting to {Addresses.Format(target)} through {via}.");
                // A refusal of an earlier broadcast is one host's closed port, not this send's failure.
                sender.Send(target, payload);
                if (sender.EarlierFailure is { } earlier)
                {
                    sender.EarlierFailure = null;
                    WriteUdpError(earlier, Addresses.Format(target));
                }

                if (PassThru)
                {
                    WriteObject(sender.Describe(target, payload));
                }

                if (WaitForReply)
                {
                    CollectReplies(sender, target);
                }
            }
            catch (UdpException e)
            {
                WriteUdpError(e, Addresses.Format(target));
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Closes the sockets.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            CloseRoutes();
        }

        base.Dispose(disposing);
    }

    private void CloseRoutes()
    {
        foreach (var route in routes)
        {
            route.Sender.Dispose();
        }

        routes.Clear();
    }

    private void AddRoute(SocketOptions options, IPAddress destination, string via)
    {
        var sender = new DatagramSender(WithIPLevel(options), Encoding);
        if (WaitForReply)
        {
            sender.TimeSends(); // round trips between the kernel's send and receive stamps
        }

        routes.Add((sender, destination, via));
        WriteVerbose($"Using {via}: sending from {Addresses.Format(sender.LocalEndPoint)} to {destination}.");
    }

    private void CollectReplies(DatagramSender sender, IPEndPoint target)
    {
        // A broadcast waits for every host: without -Count, until the timeout.
        int most = MyInvocation.BoundParameters.ContainsKey(nameof(Count)) ? Count : int.MaxValue;
        int got = 0;
        foreach (UdpDatagram reply in sender.Replies.FromAnyAddress(most, TimeSpan.FromSeconds(TimeoutSeconds), StopToken, sender.LastSentAt, sender.LastSendNumber))
        {
            got++;
            WriteObject(reply);
        }

        if (got == 0)
        {
            WriteWarning($"No host replied to the broadcast to {Addresses.Format(target)} within {TimeoutSeconds:0.###} seconds.");
        }
    }
}
