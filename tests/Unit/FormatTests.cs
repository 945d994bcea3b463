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

public class EncodingResolverTests
{
    static EncodingResolverTests() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    [Theory]
    [InlineData("utf8", 65001)]
    [InlineData("UTF8NoBOM", 65001)]
    [InlineData("utf8BOM", 65001)]
    [InlineData("ascii", 20127)]
    [InlineData("unicode", 1200)]
    [InlineData("bigendianunicode", 1201)]
    [InlineData("utf32", 12000)]
    [InlineData("bigendianutf32", 12001)]
    [InlineData("latin1", 28591)]
    [InlineData("1252", 1252)]
    public void Resolve_KnowsPowerShellNamesAndCodePages(string name, int codePage) =>
        Assert.Equal(codePage, EncodingResolver.Resolve(name).CodePage);

    [Fact]
    public void Resolve_TakesCodePageNumbersAndEncodingObjects()
    {
        Assert.Equal(932, EncodingResolver.Resolve(932).CodePage);
        Assert.Equal(1200, EncodingResolver.Resolve(Encoding.Unicode).CodePage);
        Assert.Same(EncodingResolver.Default, EncodingResolver.Resolve(null));
    }

    [Fact]
    public void Default_IsUtf8WithoutPreamble() => Assert.Empty(EncodingResolver.Default.GetPreamble());

    [Theory]
    [InlineData("klingon")]
    [InlineData("99999")]
    public void Resolve_RejectsUnknownNames(string name)
    {
        var e = Assert.Throws<UdpException>(() => EncodingResolver.Resolve(name));
        Assert.Equal(UdpErrorKind.UnknownEncoding, e.Kind);
        Assert.Contains(name, e.Message);
        Assert.Contains("utf8", e.Message);
    }

    [Fact]
    public void Resolved_EncodingsNeverThrowOnBadBytes()
    {
        var strict = new UTF8Encoding(false, throwOnInvalidBytes: true);
        Encoding tolerant = EncodingResolver.Resolve(strict);
        Assert.Equal("a\uFFFDb", tolerant.GetString(new byte[] { 0x61, 0xFF, 0x62 }));
        Assert.Throws<DecoderFallbackException>(() => strict.GetString(new byte[] { 0xFF }));
        foreach (string name in EncodingResolver.Names)
        {
            Encoding e = EncodingResolver.Resolve(name);
            Assert.IsType<string>(e.GetString(Enumerable.Range(0, 256).Select(i => (byte)i).ToArray()));
        }
    }
}

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
