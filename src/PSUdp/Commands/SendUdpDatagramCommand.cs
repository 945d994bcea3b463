using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Net;
using System.Text;
using PSUdp.Engine;

namespace PSUdp.Commands;

/// <summary>Sends datagrams to one or more hosts over one socket, and optionally waits for replies.</summary>
[Cmdlet(VerbsCommunications.Send, "UdpDatagram", DefaultParameterSetName = MessageSet, SupportsShouldProcess = true)]
[OutputType(typeof(UdpDatagram))]
public sealed class SendUdpDatagramCommand : UdpCmdlet
{
    private const string MessageSet = "Message";
    private const string PayloadSet = "Payload";
    private const string HexSet = "Hex";
    private const string DatagramSet = "Datagram";

    private readonly Dictionary<string, IPAddress> resolved = new(StringComparer.OrdinalIgnoreCase);
    private DatagramSender? sender;

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

    /// <summary>The text to send, encoded with -Encoding.</summary>
    [Parameter(Mandatory = true, Position = 2, ValueFromPipeline = true, ParameterSetName = MessageSet)]
    [AllowEmptyString]
    public string Message { get; set; } = string.Empty;

    /// <summary>The bytes to send.</summary>
    [Parameter(Mandatory = true, ParameterSetName = PayloadSet)]
    [AllowEmptyCollection]
    public byte[] Payload { get; set; } = Array.Empty<byte>();

    /// <summary>The bytes to send, as hex digits ('DE AD be:ef').</summary>
    [Parameter(Mandatory = true, ParameterSetName = HexSet)]
    [AllowEmptyString]
    public string Hex { get; set; } = string.Empty;

    /// <summary>A datagram to send again: to its RemoteAddress and RemotePort unless -ComputerName and -Port say otherwise.</summary>
    /// <remarks>
    /// Its own parameter, bound by value: PowerShell's binder does not see the hidden Payload
    /// property by name, and would otherwise coerce a piped datagram to a -Message string.
    /// </remarks>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = DatagramSet)]
    public UdpDatagram? Datagram { get; set; }

    /// <summary>Encodes -Message and decodes the Text of written datagrams; UTF-8 without BOM by default.</summary>
    [Parameter]
    [EncodingTransformation]
    [ArgumentCompleter(typeof(EncodingCompleter))]
    public Encoding Encoding { get; set; } = EncodingResolver.Default;

    /// <summary>The local address to send from.</summary>
    [Parameter]
    public IPAddress? LocalAddress { get; set; }

    /// <summary>The local port to send from; 0 lets the system choose.</summary>
    [Parameter]
    [ValidateRange(0, 65535)]
    public int LocalPort { get; set; }

    /// <summary>Uses IPv4 only.</summary>
    [Parameter]
    public SwitchParameter IPv4 { get; set; }

    /// <summary>Uses IPv6 only.</summary>
    [Parameter]
    public SwitchParameter IPv6 { get; set; }

    /// <summary>Writes each sent datagram.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>Waits for replies after each datagram and writes them.</summary>
    [Parameter]
    public SwitchParameter WaitForReply { get; set; }

    /// <summary>How long to wait for the replies to each datagram, in seconds.</summary>
    [Parameter]
    [Alias("TimeoutSec")]
    [ValidateTimeout]
    public double TimeoutSeconds { get; set; } = 2;

    /// <summary>How many replies to wait for after each datagram.</summary>
    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int Count { get; set; } = 1;

    #endregion

    /// <summary>Checks the parameters and binds the one socket the whole pipeline uses.</summary>
    protected override void BeginProcessing()
    {
        if (IPv4 && IPv6)
        {
            ThrowTerminatingError(ErrorRecords.InvalidArguments("ConflictingAddressFamily",
                "-IPv4 and -IPv6 exclude each other. Give one of them, or neither to use both families."));
        }

        if (!WaitForReply && (MyInvocation.BoundParameters.ContainsKey(nameof(Count)) || MyInvocation.BoundParameters.ContainsKey(nameof(TimeoutSeconds))))
        {
            WriteWarning("-Count and -TimeoutSeconds apply to the replies, so they take effect only with -WaitForReply.");
        }

        try
        {
            sender = new DatagramSender(
                new SocketOptions { LocalAddress = LocalAddress, LocalPort = LocalPort, Family = FamilyChoice },
                Encoding);
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
        byte[] payload;
        try
        {
            payload = ParameterSetName switch
            {
                PayloadSet => Payload ?? Array.Empty<byte>(),
                HexSet => HexFormat.Parse(Hex),
                DatagramSet => Datagram!.Payload,
                _ => Encoding.GetBytes(Message ?? string.Empty),
            };
        }
        catch (UdpException e)
        {
            WriteUdpError(e);
            return;
        }

        foreach (string name in ComputerName)
        {
            SendTo(name, payload);
        }
    }

    /// <summary>Closes the socket.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            sender?.Dispose();
        }

        base.Dispose(disposing);
    }

    private AddressFamilyChoice FamilyChoice =>
        IPv4 ? AddressFamilyChoice.IPv4 : IPv6 ? AddressFamilyChoice.IPv6 : AddressFamilyChoice.Any;

    private void SendTo(string name, byte[] payload)
    {
        try
        {
            var target = new IPEndPoint(Resolve(name), Port);
            sender!.CheckTarget(target, payload.Length);
            if (!ShouldProcess(Addresses.Format(target), $"Send a {payload.Length:N0}-byte UDP datagram"))
            {
                return;
            }

            UdpDatagram sent = sender.Send(target, payload);
            ReportEarlierRefusal();
            if (PassThru)
            {
                WriteObject(sent);
            }

            if (WaitForReply)
            {
                foreach (UdpDatagram reply in sender.ReceiveReplies(target, Count, TimeSpan.FromSeconds(TimeoutSeconds), PipelineStopToken))
                {
                    WriteObject(reply);
                }
            }
        }
        catch (UdpException e)
        {
            ReportEarlierRefusal();
            WriteUdpError(e, name);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C during a reply wait.
        }
    }

    private IPAddress Resolve(string name)
    {
        if (!resolved.TryGetValue(name, out IPAddress? address))
        {
            // A name is sent to once, at its first address (IPv4 first unless -IPv6).
            address = Addresses.Resolve(name, FamilyChoice)[0];
            resolved[name] = address;
            WriteVerbose($"{name} is {address}.");
        }

        return address;
    }

    private void ReportEarlierRefusal()
    {
        if (sender!.EarlierRefusal is { } refused)
        {
            sender.EarlierRefusal = null;
            WriteUdpError(new UdpException(UdpErrorKind.PortUnreachable,
                $"{Addresses.Format(refused)} answered an earlier datagram with ICMP port unreachable: nothing listens on UDP port {refused.Port} there. Later datagrams are still sent.",
                Addresses.Format(refused)));
        }
    }
}
