using System;
using System.Linq;
using System.Net;
using System.Text;
using PSUdp.Engine;
using PSUdp.Engine.Probes;
using Xunit;

namespace PSUdp.Tests;

public class ProbeTests
{
    private static readonly ProbeKey Key = new(0x1234, 0x8877665544331111);
    private static readonly ProbeKey OtherSession = new(0x1234, 0x0102030405060708);
    private static readonly IPEndPoint Target = new(IPAddress.Loopback, 5000);

    private static byte[] Hex(string hex) => HexFormat.Parse(hex);

    private static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    // The probe reads the reply as the answer to request 0x1234 that says the summary.
    private static void AssertAnswer(UdpProbe probe, byte[] reply, string summary)
    {
        ProbeAnswer a = probe.Read(reply, Key)!;
        Assert.Equal((ushort)0x1234, a.Id);
        Assert.Equal(summary, a.Summary);
    }

    // ... and, since the request carries the session's nonce, not as an answer to another session's request.
    private static void AssertAnswerOfThisSession(UdpProbe probe, byte[] reply, string summary)
    {
        AssertAnswer(probe, reply, summary);
        Assert.Null(probe.Read(reply, OtherSession));
    }

    [Fact]
    public void TheCatalogHasEveryProbeOnce_WithItsWellKnownPort()
    {
        Assert.Equal(new[] { "Dns", "Mdns", "Ntp", "Snmp", "SnmpV3", "Stun", "NetBios", "Ssdp", "Coap", "Tftp", "Memcached", "Echo" }, ProbeCatalog.Names);
        Assert.Equal(new[] { "Snmp", "SnmpV3" }, ProbeCatalog.ForPort(161).Select(p => p.Name));
        Assert.Equal("Dns", ProbeCatalog.ForPort(53).Single().Name);
        Assert.Empty(ProbeCatalog.ForPort(9));
        Assert.Same(ProbeCatalog.Find("stun"), ProbeCatalog.Find("STUN"));
        Assert.Null(ProbeCatalog.Find("Gopher"));
        Assert.All(ProbeCatalog.All, p => Assert.False(string.IsNullOrWhiteSpace(p.Description)));
    }

    [Theory]
    [InlineData("Dns", "1234 0000 0001 0000 0000 0000 07 76657273696F6E 04 62696E64 00 0010 0003")] // version.bind, TXT, CHAOS
    [InlineData("Snmp", "3029 020101 0406 7075626C6963 A01C 020411111234 020100 020100 300E 300C 06082B06010201010100 0500")] // v2c GetRequest of sysDescr.0, community public
    [InlineData("SnmpV3", "303E 020103 3011 020411111234 020300FFE3 040104 020103 0410 300E 0400 020100 020100 0400 0400 0400 3014 0400 0400 A00E 020411111234 020100 020100 3000")] // unauthenticated, reportable discovery
    public void TheRequestIsTheOneItsSpecificationDescribes(string probe, string expected) =>
        Assert.Equal(Hex(expected), ProbeCatalog.Get(probe).Build(Key, Target));

    [Fact]
    public void Dns_RecognisesTheAnswer_AndItsId()
    {
        byte[] question = Hex("07 76657273696F6E 04 62696E64 00 0010 0003");
        byte[] answer = Concat(Hex("C00C 0010 0003 00000000 000D 0C"), Ascii("dnsmasq-2.90"));
        byte[] reply = Concat(Hex("1234 8400 0001 0001 0000 0000"), question, answer);
        AssertAnswer(new DnsProbe(), reply, "DNS answer NOERROR: version.bind \"dnsmasq-2.90\"");

        byte[] refused = Concat(Hex("4321 8405 0001 0000 0000 0000"), question);
        Assert.Equal("DNS answer REFUSED", new DnsProbe().Read(refused, Key)!.Summary);
        Assert.Equal((ushort)0x4321, new DnsProbe().Read(refused, Key)!.Id);
        Assert.Null(new DnsProbe().Read(new DnsProbe().Build(Key, Target), Key)); // a query is not an answer
        Assert.Null(new DnsProbe().Read(Ascii("hello"), Key));
    }

    [Fact]
    public void Mdns_AsksForServiceTypes_WithTheUnicastBit_AndReadsThePtrRecords()
    {
        byte[] query = new MdnsProbe().Build(Key, Target);
        Assert.Equal(Concat(Hex("1234 0000 0001 0000 0000 0000"),
            Hex("09"), Ascii("_services"), Hex("07"), Ascii("_dns-sd"), Hex("04"), Ascii("_udp"), Hex("05"), Ascii("local"), Hex("00 000C 8001")), query);

        byte[] reply = Concat(Hex("1234 8400 0001 0001 0000 0000"), query.Skip(12).ToArray(),
            Hex("C00C 000C 0001 00000078 000D 05"), Ascii("_http"), Hex("04"), Ascii("_tcp"), Hex("C023"));
        AssertAnswer(new MdnsProbe(), reply, "mDNS answer: _http._tcp.local");
    }

    [Fact]
    public void Ntp_IsAVersion4ClientRequest_WhoseTransmitTimestampIsTheKey()
    {
        byte[] request = new NtpProbe().Build(Key, Target);
        Assert.Equal(48, request.Length);
        Assert.Equal(0x23, request[0]); // LI 0, VN 4, mode 3
        Assert.All(request.Skip(1).Take(39), b => Assert.Equal(0, b));
        Assert.Equal(Hex("1234 1111 3344 5566"), request.Skip(40).ToArray());
    }

    [Fact]
    public void Ntp_RecognisesTheServerReply_ByItsOriginTimestamp()
    {
        byte[] request = new NtpProbe().Build(Key, Target);
        byte[] reply = new byte[48];
        reply[0] = 0x24; // LI 0, VN 4, mode 4
        reply[1] = 8;
        Hex("7F000001").CopyTo(reply, 12);
        Array.Copy(request, 40, reply, 24, 8);
        AssertAnswerOfThisSession(new NtpProbe(), reply, "NTP server, stratum 8, reference 127.0.0.1");
        Assert.Null(new NtpProbe().Read(request, Key)); // mode 3 is not an answer

        reply[1] = 0;
        Ascii("RATE").CopyTo(reply, 12);
        Assert.Equal("NTP server, kiss code RATE", new NtpProbe().Read(reply, Key)!.Summary);
    }

    [Fact]
    public void Snmp_ReadsSysDescr_FromTheResponseWithItsRequestId()
    {
        byte[] value = Ascii("Linux probe 6.1");
        byte[] varbind = Ber.Tlv(BerTag.Sequence, Ber.Tlv(BerTag.Sequence, Ber.Oid("1.3.6.1.2.1.1.1.0"), Ber.Octets(value)));
        byte[] reply = Ber.Tlv(BerTag.Sequence, Ber.Int(1), Ber.Text("public"),
            Ber.Tlv(BerTag.GetResponse, Ber.Int(0x11111234), Ber.Int(0), Ber.Int(0), varbind));
        AssertAnswerOfThisSession(new SnmpProbe(), reply, "SNMPv2c answer: sysDescr \"Linux probe 6.1\"");
        Assert.Null(new SnmpProbe().Read(new SnmpProbe().Build(Key, Target), Key)); // a GetRequest is not a response
    }

    [Fact]
    public void SnmpV3_ReadsTheEngineIdFromTheReport()
    {
        byte[] engine = Hex("80001F888059DC486145A26314");
        byte[] security = Ber.Tlv(BerTag.Sequence, Ber.Octets(engine), Ber.Int(3), Ber.Int(1200), Ber.Octets(), Ber.Octets(), Ber.Octets());
        byte[] report = Ber.Tlv(BerTag.Report, Ber.Int(0x11111234), Ber.Int(0), Ber.Int(0),
            Ber.Tlv(BerTag.Sequence, Ber.Tlv(BerTag.Sequence, Ber.Oid("1.3.6.1.6.3.15.1.1.4.0"), Ber.Tlv((BerTag)0x41, new byte[] { 0x01 })))); // a Counter32 of 1
        byte[] reply = Ber.Tlv(BerTag.Sequence, Ber.Int(3),
            Ber.Tlv(BerTag.Sequence, Ber.Int(0x11111234), Ber.Int(65507), Ber.Octets(0x00), Ber.Int(3)),
            Ber.Octets(security),
            Ber.Tlv(BerTag.Sequence, Ber.Octets(engine), Ber.Octets(), report));
        AssertAnswerOfThisSession(new SnmpV3Probe(), reply, "SNMPv3 engine 80001F888059DC486145A26314, boots 3");
        Assert.Null(new SnmpProbe().Read(reply, Key));
    }

    [Fact]
    public void Stun_IsABindingRequest_AndReadsTheXorMappedAddress()
    {
        byte[] request = new StunProbe().Build(Key, Target);
        Assert.Equal(Hex("0001 0000 2112A442 1234 1111334455667788 0000"), request);

        // XOR-MAPPED-ADDRESS of 127.0.0.1:40000: port ^ 0x2112, address ^ the cookie.
        byte[] reply = Concat(Hex("0101 000C 2112A442"), request.Skip(8).ToArray(),
            Hex("0020 0008 0001"), Hex("BD52"),
            new[] { (byte)(127 ^ 0x21), (byte)(0 ^ 0x12), (byte)(0 ^ 0xA4), (byte)(1 ^ 0x42) });
        AssertAnswerOfThisSession(new StunProbe(), reply, "STUN binding success, mapped address 127.0.0.1:40000");
        Assert.Null(new StunProbe().Read(request, Key));
    }

    [Fact]
    public void NetBios_IsANodeStatusRequestForTheWildcardName_AndListsTheNames()
    {
        byte[] request = new NetBiosProbe().Build(Key, Target);
        Assert.Equal(Concat(Hex("1234 0000 0001 0000 0000 0000 20"), Ascii("CKAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), Hex("00 0021 0001")), request);

        byte[] names = Concat(Hex("02"), Ascii("PROBEHOST      "), Hex("00 0400"), Ascii("WORKGROUP      "), Hex("00 8400"));
        byte[] reply = Concat(Hex("1234 8400 0000 0001 0000 0000 20"), Ascii("CKAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
            Hex("00 0021 0001 00000000"), new[] { (byte)0, (byte)names.Length }, names);
        AssertAnswer(new NetBiosProbe(), reply, "NetBIOS names: PROBEHOST<00>, WORKGROUP<00>");
    }

    [Fact]
    public void Ssdp_IsAUnicastMSearch_ToTheHostItself()
    {
        string request = Encoding.ASCII.GetString(new SsdpProbe().Build(Key, new IPEndPoint(IPAddress.Parse("198.51.100.7"), 1900)));
        Assert.Equal("M-SEARCH * HTTP/1.1\r\nHOST: 198.51.100.7:1900\r\nMAN: \"ssdp:discover\"\r\nST: ssdp:all\r\nUSER-AGENT: PSUdp/1 UPnP/2.0 PSUdp/1\r\n\r\n", request);
        Assert.DoesNotContain("MX:", request);
        ProbeAnswer a = new SsdpProbe().Read(Ascii("HTTP/1.1 200 OK\r\nST: upnp:rootdevice\r\nSERVER: Linux/6 UPnP/2.0 test/1\r\n\r\n"), Key)!;
        Assert.Null(a.Id);
        Assert.Equal("SSDP answer, ST: upnp:rootdevice, SERVER: Linux/6 UPnP/2.0 test/1", a.Summary);
        Assert.Null(new SsdpProbe().Read(Ascii(request), Key));
        Assert.False(new SsdpProbe().MatchesReplies);
    }

    [Fact]
    public void Coap_IsAConfirmableGetOfWellKnownCore()
    {
        byte[] request = new CoapProbe().Build(Key, Target);
        Assert.Equal(Concat(Hex("44 01 1234 1234 1111 BB"), Ascii(".well-known"), Hex("04"), Ascii("core")), request);
    }

    [Fact]
    public void Coap_RecognisesPiggybackedSeparateAndResetAnswers()
    {
        byte[] piggybacked = Concat(Hex("64 45 1234 1234 1111 FF"), Ascii("</sensors>;ct=40"));
        AssertAnswerOfThisSession(new CoapProbe(), piggybacked, "CoAP 2.05: </sensors>;ct=40");

        byte[] separate = Hex("54 84 9999 1234 1111"); // NON 4.04, another message id, our token
        AssertAnswer(new CoapProbe(), separate, "CoAP 4.04");

        AssertAnswer(new CoapProbe(), Hex("70 00 1234"), "CoAP reset");
        Assert.Null(new CoapProbe().Read(Ascii("hello"), Key));
    }

    [Fact]
    public void Tftp_ReadsAFileThatCannotExist_AndRecognisesTheError()
    {
        byte[] request = new TftpProbe().Build(Key, Target);
        Assert.Equal(Concat(Hex("0001"), Ascii("psudp-probe-8877665544331111-does-not-exist"), Hex("00"), Ascii("octet"), Hex("00")), request);
        ProbeAnswer a = new TftpProbe().Read(Concat(Hex("0005 0001"), Ascii("File not found"), Hex("00")), Key)!;
        Assert.Equal("TFTP error 1: File not found", a.Summary);
        Assert.Null(a.Id);
        Assert.True(new TftpProbe().AnswersFromAnotherPort);
        Assert.Null(new TftpProbe().Read(request, Key));
    }

    [Fact]
    public void Memcached_SendsVersionInAFrame_AndMatchesTheRequestId()
    {
        byte[] request = new MemcachedProbe().Build(Key, Target);
        Assert.Equal(Concat(Hex("1234 0000 0001 0000"), Ascii("version\r\n")), request);
        AssertAnswer(new MemcachedProbe(), Concat(Hex("1234 0000 0001 0000"), Ascii("VERSION 1.6.21\r\n")), "memcached VERSION 1.6.21");
        Assert.Null(new MemcachedProbe().Read(request, Key));
    }

    [Fact]
    public void Echo_CarriesTheSequence_AndOnlyItsOwnBytesCount()
    {
        byte[] request = new EchoProbe().Build(Key, Target);
        Assert.Equal("PSUdp echo 04660 8877665544331111", Encoding.ASCII.GetString(request));
        ProbeAnswer a = new EchoProbe().Read(request, Key)!;
        Assert.Equal((ushort)0x1234, a.Id);
        Assert.Null(new EchoProbe().Read(request, OtherSession));
        Assert.Null(new EchoProbe().Read(Ascii("PSUdp echo 04660 8877665544331111 and more"), Key));
        Assert.Equal((ushort)7, new EchoProbe().Read(new EchoProbe().Build(Key.WithId(7), Target), Key)!.Id);
    }

    [Fact]
    public void NoProbeTakesGarbageForAnAnswer()
    {
        var random = new Random(42);
        foreach (UdpProbe probe in ProbeCatalog.All)
        {
            for (int i = 0; i < 2000; i++)
            {
                byte[] noise = new byte[random.Next(0, 80)];
                random.NextBytes(noise);
                ProbeAnswer? answer = probe.Read(noise, Key); // never throws
                if (probe is not (DnsProbe or MdnsProbe or NetBiosProbe or CoapProbe))
                {
                    Assert.Null(answer);
                }
            }
        }
    }
}
