using System.Text;

namespace PSUdp.Tests;

public class UdpDatagramTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void TextAndHexAreEachTheirOwnInEitherOrder(bool textFirst)
    {
        // Both are decoded when first read and kept in one field: reading one never answers the other.
        var d = Datagram("héllo");
        string text1 = textFirst ? d.Text : d.Hex;
        string text2 = textFirst ? d.Hex : d.Text;
        (string text, string hex) = textFirst ? (text1, text2) : (text2, text1);
        Assert.Equal("héllo", text);
        Assert.Equal("68C3A96C6C6F", hex);
        Assert.Same(text, d.Text);
        Assert.Same(hex, d.Hex);
    }

    [Fact]
    public void TextAfterHexIsDecodedWithTheDatagramsOwnEncoding()
    {
        // The encoding shares the field that Hex fills first: Text must still decode with it.
        var d = new UdpDatagram(DatagramDirection.Received, new IPEndPoint(IPAddress.Loopback, 9), IPAddress.Loopback, 7,
            Encoding.Unicode.GetBytes("hi"), truncated: false, Encoding.Unicode);
        Assert.Equal("68006900", d.Hex);
        Assert.Equal("hi", d.Text);
        Assert.Equal("68006900", d.Hex);
    }

    [Fact]
    public void TextAndHexReadFromTwoThreadsAtOnceAreNeverMixedUp()
    {
        var datagrams = Enumerable.Range(0, 20000).Select(i => Datagram($"n{i}")).ToArray();
        string[] texts = new string[datagrams.Length];
        string[] hexes = new string[datagrams.Length];
        using var start = new Barrier(2);
        var reader = new Thread(() =>
        {
            start.SignalAndWait();
            for (int i = 0; i < datagrams.Length; i++)
            {
                hexes[i] = datagrams[i].Hex;
            }
        });
        reader.Start();
        start.SignalAndWait();
        for (int i = 0; i < datagrams.Length; i++)
        {
            texts[i] = datagrams[i].Text;
        }

        reader.Join();
        for (int i = 0; i < datagrams.Length; i++)
        {
            Assert.Equal($"n{i}", texts[i]);
            Assert.Equal(HexFormat.ToHex(Encoding.UTF8.GetBytes($"n{i}")), hexes[i]);
            Assert.Equal($"n{i}", datagrams[i].Text);
            Assert.Equal(hexes[i], datagrams[i].Hex);
        }
    }

    private static UdpDatagram Datagram(string text) =>
        new(DatagramDirection.Received, new IPEndPoint(IPAddress.Loopback, 9), IPAddress.Loopback, 7,
            Encoding.UTF8.GetBytes(text), truncated: false, Encoding.UTF8);
}
