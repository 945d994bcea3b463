using System;
using System.Globalization;
using System.Management.Automation;
using System.Reflection;
using System.Text;
using PSUdp.Engine;
using PSUdp.Engine.Sockets;
using PSUdp.Engine.Text;

namespace PSUdp.Commands;

/// <summary>
/// What Send-UdpDatagram and Send-UdpBroadcast share: the payload parameter sets (-Message with
/// -Encoding, -Payload, -Hex), -PassThru, and the reply wait (-WaitForReply, -TimeoutSeconds, -Count).
/// </summary>
public abstract class UdpSendCmdlet : UdpCmdlet, IPayloadParameters
{
    // PowerShell's own (localized) text for ShouldProcess(target, action), read once from its
    // resources; the English original where they cannot be read.
    private static readonly string ShouldProcessTemplate =
        typeof(PSCmdlet).Assembly.GetType("CommandBaseStrings")
            ?.GetProperty("ShouldProcessMessage", BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic)
            ?.GetValue(null) as string
        ?? "Performing the operation \"{0}\" on target \"{1}\".";

    private string lastTarget = string.Empty;
    private string lastAction = string.Empty;
    private string lastDescription = string.Empty;

    #region Parameters

    /// <summary>The text to send, encoded with -Encoding.</summary>
    [Parameter(Mandatory = true, Position = 2, ValueFromPipeline = true, ParameterSetName = PayloadSets.Message)]
    [AllowEmptyString]
    public string Message { get; set; } = string.Empty;

    /// <summary>The bytes to send.</summary>
    [Parameter(Mandatory = true, ParameterSetName = PayloadSets.Payload)]
    [AllowEmptyCollection]
    public byte[] Payload { get; set; } = Array.Empty<byte>();

    /// <summary>The bytes to send, as hex digits ('DE AD be:ef').</summary>
    [Parameter(Mandatory = true, ParameterSetName = PayloadSets.Hex)]
    [AllowEmptyString]
    public string Hex { get; set; } = string.Empty;

    /// <summary>Encodes -Message and decodes the Text of written datagrams; UTF-8 without BOM by default.</summary>
    [Parameter]
    [EncodingTransformation]
    [ArgumentCompleter(typeof(EncodingCompleter))]
    public Encoding Encoding { get; set; } = EncodingResolver.Default;

    /// <summary>The IPv4 TTL or IPv6 hop limit of each datagram (also for multicast), 1-255; the system's default when left out.</summary>
    [Parameter]
    [Alias("Ttl", "HopLimit")]
    [ValidateRange(1, 255)]
    public int TimeToLive { get; set; }

    /// <summary>The DSCP of each datagram: 0-63 or a name (EF, AF11..AF43, CS0..CS7); the ECN bits are left alone.</summary>
    [Parameter]
    [DscpTransformation]
    [ArgumentCompleter(typeof(DscpCompleter))]
    [ValidateRange(0, 63)]
    public int Dscp { get; set; }

    /// <summary>Sets don't-fragment (IPv4 DF with path-MTU discovery, IPv6 IPV6_DONTFRAG): a datagram too large for the path fails with MessageTooLong.</summary>
    [Parameter]
    public SwitchParameter DontFragment { get; set; }

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

    /// <summary>Warns when reply settings are given without -WaitForReply.</summary>
    protected override void BeginProcessing()
    {
        if (!WaitForReply && (MyInvocation.BoundParameters.ContainsKey(nameof(Count)) || MyInvocation.BoundParameters.ContainsKey(nameof(TimeoutSeconds))))
        {
            WriteWarning("-Count and -TimeoutSeconds apply to the replies, so they take effect only with -WaitForReply.");
        }
    }

    /// <summary>Copies -TimeToLive, -Dscp and -DontFragment into the options of a socket to be made.</summary>
    private protected SocketOptions WithIPLevel(SocketOptions options) => WithIPLevel(options, TimeToLive, Dscp, DontFragment);

    /// <summary>
    /// ShouldProcess(target, action) for every sender, with the same text, made once while the
    /// target and the action stay the same: PowerShell formats it on every call, a few percent of
    /// a send in a pipeline of a million strings.
    /// </summary>
    private protected bool ShouldSend(string target, string action)
    {
        if (lastDescription.Length == 0 || !string.Equals(target, lastTarget, StringComparison.Ordinal) || !string.Equals(action, lastAction, StringComparison.Ordinal))
        {
            lastTarget = target;
            lastAction = action;
            lastDescription = string.Format(CultureInfo.CurrentCulture, ShouldProcessTemplate, action, target);
        }

        return ShouldProcess(lastDescription, null, null);
    }

    /// <summary>The bytes of the current input, or null after reporting why there are none.</summary>
    private protected byte[]? CurrentPayload()
    {
        try
        {
            return this.GivenBytes() ?? OtherPayload();
        }
        catch (UdpException e)
        {
            WriteUdpError(e);
            return null;
        }
    }

    /// <summary>The bytes of a parameter set a subclass adds.</summary>
    private protected virtual byte[] OtherPayload() =>
        throw new PSInvalidOperationException($"Parameter set '{ParameterSetName}' has no payload.");
}
