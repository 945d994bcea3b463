using PSUdp.Engine.Multicast;

namespace PSUdp.Tests;

/// <summary>
/// What Winsock hands the engine, fed through the code that every system runs: its error codes,
/// a truncated receive as .NET returns it on Windows, and the multicast interface value.
/// docs/platforms.md says where each comes from.
/// </summary>
public class WindowsShapesTests
{
    private static readonly Platform Windows = Platform.For(SystemKind.Windows, false, true);
    private static readonly Platform Linux = Platform.For(SystemKind.Linux, false, true);
    private static readonly IPEndPoint Target = new(IPAddress.Loopback, 9);

    [Theory]
    [InlineData(10054, SocketError.ConnectionReset, UdpErrorKind.PortUnreachable)] // WSAECONNRESET: ICMP port unreachable
    [InlineData(10052, SocketError.NetworkReset, UdpErrorKind.TimeExceeded)]       // WSAENETRESET: ICMP TTL expired
    public void AWinsockErrorBecomesTheFailureItMeans(int code, SocketError error, UdpErrorKind kind)
    {
        SocketError got = new SocketException(code).SocketErrorCode;
        Assert.Equal(error, got);
        IcmpReport report = IcmpErrorQueue.FromSocketError(got, Target)!;
        Assert.NotNull(report);
        Assert.False(report.IsDetailed); // Winsock tells no type, code or sender
        UdpException e = IcmpFailures.From(report, Target, 0, new SocketException(code));
        Assert.Equal(kind, e.Kind);
        Assert.Equal("127.0.0.1:9", e.Target as string);
    }

    [Theory]
    [InlineData(10054)]
    [InlineData(10052)]
    [InlineData(10060)] // WSAETIMEDOUT: the receive timeout that wakes the loop
    public void AWinsockErrorLeftByAnEarlierSend_DoesNotEndAListener(int code)
    {
        Assert.True(DatagramListener.IsTransient(new SocketException(code).SocketErrorCode));
    }

    [Fact]
    public void AnotherWinsockError_EndsAListener()
    {
        Assert.False(DatagramListener.IsTransient(new SocketException(10038).SocketErrorCode)); // WSAENOTSOCK
    }

    [Fact]
    public void TTLExpired_IsNotPortUnreachable_WhenRepliesFromAnyAddressAreCollected()
    {
        // A broadcast's wait skips every host's ICMP error; WSAENETRESET must be one of them.
        Assert.True(IcmpFailures.IsIcmpError(new SocketException(10052).SocketErrorCode));
    }

    [Theory]
    [InlineData(16)] // Windows: the count is the buffer's length (dotnet/runtime#46785)
    [InlineData(0)]  // Wine 8.0: the count is 0, though the buffer was filled
    public void OnWindows_AReceiveWithoutPacketInformation_IsAFilledBufferCutShort(int count)
    {
        Assert.Equal((16, true), DatagramReader.Received(count, SocketFlags.None, hasPacketInformation: false, bufferLength: 16, Windows));
    }

    [Fact]
    public void OnWindows_AReceiveWithPacketInformation_IsWhole_EvenAnEmptyOne()
    {
        Assert.Equal((0, false), DatagramReader.Received(0, SocketFlags.None, hasPacketInformation: true, bufferLength: 16, Windows));
        Assert.Equal((5, false), DatagramReader.Received(5, SocketFlags.None, hasPacketInformation: true, bufferLength: 16, Windows));
    }

    [Fact]
    public void Elsewhere_OnlyTheTruncatedFlagSaysSo()
    {
        Assert.Equal((16, true), DatagramReader.Received(16, SocketFlags.Truncated, hasPacketInformation: true, bufferLength: 16, Linux));
        Assert.Equal((0, false), DatagramReader.Received(0, SocketFlags.None, hasPacketInformation: false, bufferLength: 16, Linux));
        Assert.Equal((16, true), DatagramReader.Received(16, SocketFlags.Truncated, hasPacketInformation: true, bufferLength: 16, Windows));
    }

    [Theory]
    [InlineData(1, new byte[] { 0, 0, 0, 1 })]
    [InlineData(7, new byte[] { 0, 0, 0, 7 })]
    [InlineData(0x0102, new byte[] { 0, 0, 1, 2 })]
    public void TheMulticastInterfaceIndex_GoesInNetworkByteOrder(int index, byte[] bytes)
    {
        // The 4-byte value as Winsock reads it: an in_addr of 0.0.0.N, which it takes as index N.
        Assert.Equal(bytes, BitConverter.GetBytes(MulticastSocketOptions.IndexInPlaceOfAddress(index)));
    }
}
