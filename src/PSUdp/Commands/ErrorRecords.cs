using System.Management.Automation;
using System.Net;
using PSUdp.Engine;
using PSUdp.Engine.Send;

namespace PSUdp.Commands;

/// <summary>
/// The one place an engine failure becomes a PowerShell ErrorRecord: the engine states the facts,
/// and the advice here says what to do in the cmdlets' terms (their parameter names).
/// </summary>
internal static class ErrorRecords
{
    /// <summary>An ErrorRecord whose id is the failure's kind, such as PortUnreachable, with the advice for <paramref name="command"/>.</summary>
    internal static ErrorRecord From(UdpException exception, object? target = null, CommandInfo? command = null)
    {
        // The advice is part of the message, so every view shows it once; a RecommendedAction
        // beside it would print it twice in PowerShell 7's concise view.
        string advice = Advice(exception, command);
        return new ErrorRecord(exception.WithAdvice(advice), exception.Kind.ToString(), Category(exception.Kind), target ?? exception.Target);
    }

    /// <summary>The non-terminating error for an earlier datagram that <paramref name="refused"/> answered with ICMP port unreachable.</summary>
    internal static ErrorRecord EarlierRefusal(IPEndPoint refused, CommandInfo? command = null) =>
        From(SendFailures.EarlierRefusal(refused), null, command);

    /// <summary>The non-terminating error for a repeated send that its target partly refused.</summary>
    internal static ErrorRecord RefusedDuringRun(UdpSendSummary summary, IPEndPoint target, CommandInfo? command = null) =>
        From(SendFailures.RefusedDuringRun(summary, target), null, command);

    /// <summary>An ErrorRecord for a wrong combination of parameters.</summary>
    internal static ErrorRecord InvalidArguments(string errorId, string message, object? target = null) =>
        new(new PSArgumentException(message), errorId, ErrorCategory.InvalidArgument, target);

    private static string Advice(UdpException e, CommandInfo? command)
    {
        string? family = e.Family;
        string other = family == "IPv4" ? "IPv6" : "IPv4";
        return e.Setting switch
        {
            UdpSetting.LocalAddress => "Give one of this computer's addresses, or leave out -LocalAddress.",
            UdpSetting.LocalAddressFamily => $"Give an {family} local address or leave out -{family}.",
            UdpSetting.NameFamily => $"Leave out -{family} or give another host.",
            UdpSetting.SocketFamily => $"Give an {family} target, or let the socket be {other}: an {other} -LocalAddress (or none), and no -{family}.",
            UdpSetting.ReuseAddress when Has(command, "ReuseAddress") =>
                "Choose another port, use port 0 for any free port, stop the program that holds it, or use -ReuseAddress where both programs agree to share it.",
            UdpSetting.ReuseAddress => "Choose another port, use port 0 for any free port, or stop the program that holds it.",
            UdpSetting.ReplyTimeout => "Check that a service answers on that port and that no firewall drops the traffic, or wait longer with -TimeoutSeconds.",
            UdpSetting.Broadcast => "Sending to a broadcast address needs Send-UdpBroadcast; a firewall may also refuse it.",
            UdpSetting.TimeToLive when Has(command, "TimeToLive") => "Give a larger -TimeToLive (or leave it out for the system's default) to reach the target.",
            UdpSetting.TimeToLive => "The target is further away than the datagram's time to live allows.",
            UdpSetting.DontFragment => "Send smaller datagrams (at most the payload that fits), or leave out -DontFragment to let the system fragment them.",
            UdpSetting.ReplyFromOtherAddress => "The host answered from another address than the one the datagram went to (a multi-homed host or a secondary address): send to the address that answered, or make the service answer from the address it is asked on.",
            UdpSetting.MulticastSource => "Give -SourceAddress the unicast addresses of the hosts that send to the groups, at least one of each group's family, or leave it out to receive from any source.",
            UdpSetting.MulticastLocalAddress => "Give a -LocalAddress of the group's family, or leave out -LocalAddress: the default socket receives IPv4 and IPv6 groups.",
            _ => e.Kind switch
            {
                UdpErrorKind.PortUnreachable => "Check the port number and that the service runs.",
                UdpErrorKind.AdministrativelyProhibited => "A firewall (the address that sent the ICMP message: on the way, or the host itself) rejects this traffic; check its rules.",
                UdpErrorKind.NetworkUnreachable => "Check the address, the routes and the network connection.",
                UdpErrorKind.InvalidTarget => "Check the address; note that a bare number such as 42 means 0.0.0.42 to the system's resolver.",
                UdpErrorKind.PayloadTooLarge => "Split the data into smaller datagrams.",
                UdpErrorKind.NotMulticastGroup => "Give a multicast group to -MulticastGroup, such as 239.1.2.3 or ff15::1234.",
                UdpErrorKind.MulticastJoinRefused => "Name the interface to join on with -InterfaceName (the system needs a route for the group otherwise), join fewer groups on one socket, or check that the interface still exists.",
                UdpErrorKind.AmbiguousMulticastInterface => "Name the interface with -InterfaceName.",
                _ => string.Empty,
            },
        };
    }

    private static bool Has(CommandInfo? command, string parameter) => command?.Parameters.ContainsKey(parameter) == true;

    private static ErrorCategory Category(UdpErrorKind kind) => kind switch
    {
        UdpErrorKind.NameNotResolved => ErrorCategory.ObjectNotFound,
        UdpErrorKind.InterfaceNotFound => ErrorCategory.ObjectNotFound,
        UdpErrorKind.AddressFamilyMismatch => ErrorCategory.InvalidArgument,
        UdpErrorKind.PayloadTooLarge => ErrorCategory.InvalidArgument,
        UdpErrorKind.InvalidHex => ErrorCategory.InvalidArgument,
        UdpErrorKind.UnknownEncoding => ErrorCategory.InvalidArgument,
        UdpErrorKind.AddressNotAvailable => ErrorCategory.InvalidArgument,
        UdpErrorKind.NoBroadcastAddress => ErrorCategory.InvalidArgument,
        UdpErrorKind.InvalidTarget => ErrorCategory.InvalidArgument,
        UdpErrorKind.UnknownProbe => ErrorCategory.InvalidArgument,
        UdpErrorKind.PortUnreachable => ErrorCategory.ConnectionError,
        UdpErrorKind.NetworkUnreachable => ErrorCategory.ConnectionError,
        UdpErrorKind.ReplyTimeout => ErrorCategory.OperationTimeout,
        UdpErrorKind.AddressInUse => ErrorCategory.ResourceUnavailable,
        UdpErrorKind.InterfaceDown => ErrorCategory.ResourceUnavailable,
        UdpErrorKind.AccessDenied => ErrorCategory.PermissionDenied,
        UdpErrorKind.SocketOptionRefused => ErrorCategory.InvalidOperation,
        UdpErrorKind.MessageTooLong => ErrorCategory.LimitsExceeded,
        UdpErrorKind.InvalidDscp => ErrorCategory.InvalidArgument,
        UdpErrorKind.TimeExceeded => ErrorCategory.ConnectionError,
        UdpErrorKind.AdministrativelyProhibited => ErrorCategory.ConnectionError,
        UdpErrorKind.NotMulticastGroup => ErrorCategory.InvalidArgument,
        UdpErrorKind.AmbiguousMulticastInterface => ErrorCategory.InvalidArgument,
        UdpErrorKind.MulticastJoinRefused => ErrorCategory.ResourceUnavailable,
        UdpErrorKind.CaptureFileFailed => ErrorCategory.OpenError,
        UdpErrorKind.CaptureFormatMismatch => ErrorCategory.InvalidOperation,
        UdpErrorKind.CaptureTruncated => ErrorCategory.InvalidData,
        UdpErrorKind.CaptureCorrupt => ErrorCategory.InvalidData,
        _ => ErrorCategory.NotSpecified,
    };
}
