using System.Management.Automation;

namespace PSUdp.Commands;

/// <summary>The one place an engine failure becomes a PowerShell ErrorRecord.</summary>
internal static class ErrorRecords
{
    /// <summary>An ErrorRecord whose id is the failure's kind, such as PortUnreachable.</summary>
    internal static ErrorRecord From(UdpException exception, object? target = null) =>
        new(exception, exception.Kind.ToString(), Category(exception.Kind), target ?? exception.Target);

    /// <summary>An ErrorRecord for a wrong combination of parameters.</summary>
    internal static ErrorRecord InvalidArguments(string errorId, string message, object? target = null) =>
        new(new PSArgumentException(message), errorId, ErrorCategory.InvalidArgument, target);

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
        _ => ErrorCategory.NotSpecified,
    };
}
