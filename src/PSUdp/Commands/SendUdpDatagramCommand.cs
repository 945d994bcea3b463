using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Net;
using PSUdp.Engine;
using PSUdp.Engine.Multicast;
using PSUdp.Engine.Send;
using PSUdp.Engine.Sockets;

namespace PSUdp.Commands;

/// <summary>Sends datagrams to one or more hosts over one socket, and optionally waits for replies.</summary>
[Cmdlet(VerbsCommunications.Send, "UdpDatagram", DefaultParameterSetName = PayloadSets.Message, SupportsShouldProcess = true)]
[OutputType(typeof(UdpDatagram))]
public sealed partial class SendUdpDatagramCommand : UdpSendCmdlet
{
    private const string DatagramSet = "Datagram";

    private readonly Dictionary<string, IPAddress> resolved = new(StringComparer.OrdinalIgnoreCase);
    private DatagramSender? sender;
    private AddressFamilyChoice family;

    // The last target and the action ShouldProcess shows, kept because a pipeline of a million
    // strings usually goes to one host and one payload length (formatting them was a tenth of a send).
    private string? lastName;
    private int lastPort;
    private IPEndPoint? lastTarget;
    private string lastTargetText = string.Empty;
    private int lastLength = -1;
    private string lastAction = string.Empty;
    private readonly List<UdpDatagram> fromOtherAddresses = new();

    #region Parameters

    /// <summary>The hosts to send to: names or addresses.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("TargetName", "RemoteAddress", "cn")]
    [ValidateNotNullOrEmpty]
    public string[] ComputerName { get; set; } = Array.Empty<string>();

    /// <summary>The UDP port to send to.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [Alias("RemotePort")]
    [ValidateRange(1, 65535)]
    public int Port { get; set; }

    /// <summary>A datagram to send again: to its RemoteAddress and RemotePort unless -ComputerName and -Port say otherwise.</summary>
    /// <remarks>
    /// Its own parameter, bound by value: PowerShell's binder does not see the hidden Payload
    /// property by name, and would otherwise coerce a piped datagram to a -Message string.
    /// </remarks>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = DatagramSet)]
    public UdpDatagram? Datagram { get; set; }

    /// <summary>The local address to send from.</summary>
    [Parameter]
    public IPAddress? LocalAddress { get; set; }

    /// <summary>The local port to send from; 0 lets the system choose.</summary>
    [Parameter]
    [ValidateRange(0, 65535)]
    public int LocalPort { get; set; }

    /// <summary>The interfaces datagrams to a multicast group leave through, a copy out of each ('*' for every one that is up).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(InterfaceNameCompleter))]
    public string[] InterfaceName { get; set; } = Array.Empty<string>();

    /// <summary>Lets this host's own listeners hear what it sends to a multicast group.</summary>
    [Parameter]
    public SwitchParameter MulticastLoopback { get; set; }

    /// <summary>Uses IPv4 only.</summary>
    [Parameter]
    public SwitchParameter IPv4 { get; set; }

    /// <summary>Uses IPv6 only.</summary>
    [Parameter]
    public SwitchParameter IPv6 { get; set; }

    #endregion

    /// <summary>Checks the parameters and binds the one socket the whole pipeline uses.</summary>
    protected override void BeginProcessing()
    {
        family = ChooseFamily(IPv4, IPv6);

        base.BeginProcessing();
        BeginLoad();

        try
        {
            IReadOnlyList<MulticastInterface> outlets = InterfaceName.Length == 0 ? Array.Empty<MulticastInterface>() : MulticastInterfaces.Resolve(InterfaceName);
            sender = new DatagramSender(
                WithIPLevel(new SocketOptions
                {
                    LocalAddress = LocalAddress, LocalPort = LocalPort, Family = family,
                    MulticastInterfaces = outlets, MulticastLoopback = MulticastLoopback.IsPresent,
                }),
                Encoding)
            {
                // A repeated send reads no replies; a socket connected to a group keeps one way out.
                ConnectToTarget = (HasOneTarget && outlets.Count <= 1) || Repeats,
            };
            if (WaitForReply)
            {
                sender.TimeSends(); // round trips between the kernel's send and receive stamps
            }

            WriteVerbose($"Sending from {Addresses.Format(sender.LocalEndPoint)}.");
        }
        catch (UdpException e)
        {
            ThrowUdpError(e);
        }
    }

    /// <summary>Sends the current input to every host.</summary>
    protected override void ProcessRecord()
    {
        if (CurrentPayload() is not { } payload)
        {
            return;
        }

        foreach (string name in ComputerName)
        {
            SendTo(name, payload);
        }
    }

    /// <summary>A piped datagram is sent again with its own bytes.</summary>
    private protected override byte[] OtherPayload() => Datagram!.Payload;

    /// <summary>Closes the socket.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            sender?.Dispose();
        }

        base.Dispose(disposing);
    }

    // One host and port from the command line, none from the pipeline (what is bound before
    // BeginProcessing came from the command line), and no replies to read.
    private bool HasOneTarget =>
        !WaitForReply && ComputerName.Length == 1
        && MyInvocation.BoundParameters.ContainsKey(nameof(ComputerName)) && MyInvocation.BoundParameters.ContainsKey(nameof(Port));

    private void SendTo(string name, byte[] payload)
    {
        try
        {
            IPEndPoint target = Target(name);
            sender!.CheckTarget(target, payload.Length);
            if (!ShouldSend(lastTargetText, Repeats ? LoadAction(payload.Length) : Action(payload.Length)))
            {
                return;
            }

            if (Repeats)
            {
                SendRepeatedly(target, payload);
                return;
            }

            if (!WaitForPace())
            {
                return;
            }

            if (sender.Send(target, payload) is { } refused)
            {
                WriteError(ErrorRecords.EarlierRefusal(refused, MyInvocation.MyCommand));
            }

            if (sender.EarlierFailure is { } earlier)
            {
                sender.EarlierFailure = null;
                WriteUdpError(earlier);
            }

            if (PassThru)
            {
                WriteObject(sender.Describe(target, payload));
            }

            if (WaitForReply)
            {
                if (MulticastOutlet.IsGroup(target.Address))
                {
                    WriteGroupReplies(target);
                }
                else
                {
                    WriteReplies(target);
                }
            }
        }
        catch (UdpException e)
        {
            WriteUdpError(e, name);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C during a reply wait.
        }
    }

    private void WriteReplies(IPEndPoint target)
    {
        fromOtherAddresses.Clear();
        bool timedOut = false;
        try
        {
            foreach (UdpDatagram reply in sender!.Replies.FromTarget(target, Count, TimeSpan.FromSeconds(TimeoutSeconds), StopToken, fromOtherAddresses, sender.LastSentAt, sender.LastSendNumber))
            {
                WriteObject(reply);
            }
        }
        catch (UdpException e) when (e.Kind == UdpErrorKind.ReplyTimeout)
        {
            timedOut = true; // the error itself names the address that answered instead
            throw;
        }
        finally
        {
            if (fromOtherAddresses.Count > 0 && !timedOut)
            {
                WriteWarning($"{fromOtherAddresses.Count:N0} datagrams came from other addresses than {Addresses.Format(target)} (the first from {Addresses.Format(fromOtherAddresses[0].RemoteAddress, fromOtherAddresses[0].RemotePort)}) and were not taken as replies.");
            }
        }
    }

    // The members of a group answer from their own unicast addresses: every host's first reply,
    // until the timeout or, when -Count is given, that many hosts.
    private void WriteGroupReplies(IPEndPoint group)
    {
        int most = MyInvocation.BoundParameters.ContainsKey(nameof(Count)) ? Count : int.MaxValue;
        var hosts = new HashSet<IPAddress>();
        foreach (UdpDatagram reply in sender!.Replies.FromAnyAddress(int.MaxValue, TimeSpan.FromSeconds(TimeoutSeconds), StopToken, sender.LastSentAt, sender.LastSendNumber))
        {
            if (hosts.Add(reply.RemoteAddress))
            {
                WriteObject(reply);
                if (hosts.Count >= most)
                {
                    break;
                }
            }
        }

        if (hosts.Count == 0)
        {
            WriteWarning($"No member of the group {Addresses.Format(group)} replied within {TimeoutSeconds:0.###} seconds.");
        }
    }

    private IPEndPoint Target(string name)
    {
        if (lastTarget is null || lastPort != Port || !string.Equals(name, lastName, StringComparison.OrdinalIgnoreCase))
        {
            lastTarget = new IPEndPoint(Resolve(name), Port);
            lastTargetText = Addresses.Format(lastTarget);
            lastName = name;
            lastPort = Port;
        }

        return lastTarget;
    }

    // The action ShouldProcess shows, made once per payload length.
    private string Action(int length)
    {
        if (length != lastLength)
        {
            lastLength = length;
            lastAction = $"Send a {length:N0}-byte UDP datagram";
        }

        return lastAction;
    }

    private IPAddress Resolve(string name)
    {
        if (!resolved.TryGetValue(name, out IPAddress? address))
        {
            // A name is sent to once, at its first address (IPv4 first unless -IPv6).
            address = Addresses.Resolve(name, family, StopToken)[0];
            resolved[name] = address;
            WriteVerbose($"{name} is {address}.");
        }

        return address;
    }
}
