using System.Management.Automation;

namespace PSUdp.Commands;

/// <summary>The one place an engine failure becomes a PowerShell ErrorRecord.</summary>
internal static class ErrorRecords
{
    /// <summary>An ErrorRecord whose id is the failure's kind, such as PortUnreachable.</summary>
    internal static ErrorRecord From(UdpException exception, object? target = null)
    {
        var record = new ErrorRecord(exception, exception.Kind.ToString(), Category(exception.Kind), target ?? exception.Target);
        if (Advice(exception.Kind) is { } advice)
        {
            // The engine states the fact; what to do names the cmdlets' parameters.
            record.ErrorDetails = new ErrorDetails($"{exception.Message} {advice}") { RecommendedAction = advice };
        }

        return record;
    }

    /// <summary>An ErrorRecord for a wrong combination of parameters.</summary>
    internal static ErrorRecord InvalidArguments(string errorId, string message, object? target = null) =>
        new(new PSArgumentException(message), errorId, ErrorCategory.InvalidArgument, target);

    private static string? Advice(UdpErrorKind kind) => kind switch
    {
        UdpErrorKind.NotMulticastGroup => "Give a multicast group to -MulticastGroup, such as 239.1.2.3 or ff15::1234.",
        UdpErrorKind.MulticastJoinRefused => "Name the interface to join on with -InterfaceName (the system needs a route for the group otherwise), join fewer groups on one socket, or check that the interface still exists.",
        UdpErrorKind.AmbiguousMulticastInterface => "Name the interface with -InterfaceName.",
        _ => null,
    };

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
        UdpErrorKind.PortUnreachable => ErrorCategory.ConnectionError,
        UdpErrorKind.NetworkUnreachable => ErrorCategory.ConnectionError,
        UdpErrorKind.ReplyTimeout => ErrorCategory.OperationTimeout,
        UdpErrorKind.AddressInUse => ErrorCategory.ResourceUnavailable,
        UdpErrorKind.InterfaceDown => ErrorCategory.ResourceUnavailable,
        UdpErrorKind.AccessDenied => ErrorCategory.PermissionDenied,
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
