using System.Text;
using PSUdp.Engine.Probes;

namespace PSUdp.Tests;

public class DatagramLimitsTests
{
    [Theory]
    [InlineData(65507, System.Net.Sockets.AddressFamily.InterNetwork, false)]
    [InlineData(65508, System.Net.Sockets.AddressFamily.InterNetwork, true)]
    [InlineData(65527, System.Net.Sockets.AddressFamily.InterNetworkV6, false)]
    [InlineData(65528, System.Net.Sockets.AddressFamily.InterNetworkV6, true)]
    public void Check_EnforcesTheFamilysLimit(int length, System.Net.Sockets.AddressFamily family, bool throws)
    {
        Exception? e = Record.Exception(() => DatagramLimits.Check(length, family, "target"));
        if (throws)
        {
            Assert.Equal(UdpErrorKind.PayloadTooLarge, Assert.IsType<UdpException>(e).Kind);
        }
        else
        {
            Assert.Null(e);
        }
    }
}
