using System.Text;

namespace PSUdp.Tests;

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
