namespace PSUdp.Tests;

/// <summary>Each system's paths, as the one platform seam chooses them (Engine/Sockets/Platform.cs).</summary>
public class PlatformTests
{
    // receive, handle-level calls, SO_RCVBUFFORCE, ICMP errors, Linux socket options,
    // if_indextoname, truncation without packet information, fine sleep
    private static readonly Dictionary<string, (Platform Paths, (ReceivePath, bool, bool, IcmpErrorPath, bool, bool, bool, bool) Expected)> Systems = new()
    {
        ["Linux"] = (Platform.For(SystemKind.Linux, false, true),
            (ReceivePath.Batch, true, true, IcmpErrorPath.ErrorQueue, true, true, false, true)),
        // Forced portable reads one at a time, but keeps what changes what arrives: without
        // IP_RECVERR, Linux would not report a port unreachable to an unconnected socket at all.
        ["LinuxForcedPortable"] = (Platform.For(SystemKind.Linux, true, true),
            (ReceivePath.OneAtATime, false, false, IcmpErrorPath.ErrorQueue, true, true, false, true)),
        // LinuxNative's structures are laid out for LP64.
        ["Linux32Bit"] = (Platform.For(SystemKind.Linux, false, false),
            (ReceivePath.Batch, false, true, IcmpErrorPath.ErrorQueue, true, true, false, true)),
        ["Windows"] = (Platform.For(SystemKind.Windows, false, true),
            (ReceivePath.OneAtATime, false, false, IcmpErrorPath.Winsock, false, false, true, false)),
        ["MacOSAndOthers"] = (Platform.For(SystemKind.Other, false, true),
            (ReceivePath.OneAtATime, false, false, IcmpErrorPath.Portable, false, true, false, false)),
    };

    public static TheoryData<string> SystemNames => new(Systems.Keys);

    [Theory]
    [MemberData(nameof(SystemNames))]
    public void For_ChoosesEachCapabilitysPath(string system)
    {
        (Platform paths, var expected) = Systems[system];
        Assert.Equal(expected, (paths.Receive, paths.NativeHandles, paths.ForcedReceiveBuffer, paths.IcmpErrors,
            paths.LinuxSocketOptions, paths.InterfaceNamesByIndex, paths.TruncationLosesPacketInformation, paths.FineSleep));
        Assert.Equal(system == "LinuxForcedPortable", paths.ForcePortable);
    }

    [Fact]
    public void Current_IsThisProcessesSystem()
    {
        SystemKind expected = OperatingSystem.IsLinux() ? SystemKind.Linux : OperatingSystem.IsWindows() ? SystemKind.Windows : SystemKind.Other;
        Assert.Equal(expected, Platform.Current.System);
        Assert.Equal(Environment.GetEnvironmentVariable("PSUDP_FORCE_PORTABLE") == "1", Platform.Current.ForcePortable);
    }
}
