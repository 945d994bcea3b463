using System.Text;

namespace PSUdp.Tests;

public class HexFormatTests
{
    [Theory]
    [InlineData("DEADBEEF")]
    [InlineData("DE AD be:ef")]
    [InlineData("de-ad-be-ef")]
    [InlineData("0xDEAD 0xBEEF")]
    [InlineData("  de,ad.be ef  ")]
    public void Parse_AcceptsSeparatorsAndCase(string text) =>
        Assert.Equal(new byte[] { 0xDE, 0xAD, 0xBE, 0xEF }, HexFormat.Parse(text));

    [Fact]
    public void Parse_EmptyIsEmptyPayload() => Assert.Empty(HexFormat.Parse(""));

    [Theory]
    [InlineData("ABC", "odd number")]
    [InlineData("zz", "'z'")]
    [InlineData("DE AD GG", "'G'")]
    public void Parse_RejectsMalformedHex(string text, string expected)
    {
        var e = Assert.Throws<UdpException>(() => HexFormat.Parse(text));
        Assert.Equal(UdpErrorKind.InvalidHex, e.Kind);
        Assert.Contains(expected, e.Message);
        Assert.Equal(text, e.Target);
    }

    [Fact]
    public void ToHex_RoundTripsEveryByte()
    {
        byte[] all = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        string hex = HexFormat.ToHex(all);
        Assert.Equal(512, hex.Length);
        Assert.StartsWith("000102", hex);
        Assert.Equal(all, HexFormat.Parse(hex));
    }
}
