namespace PSUdp.Tests;

/// <summary>A fact about Linux's own paths; skipped, with the reason, where they are not taken (other systems, PSUDP_FORCE_PORTABLE=1).</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute(string reason = LinuxPaths.SkipReason)
    {
        if (Platform.Current.Receive != ReceivePath.Batch)
        {
            Skip = reason;
        }
    }
}

/// <summary>A theory about Linux's own paths; skipped, with the reason, where they are not taken.</summary>
public sealed class LinuxTheoryAttribute : TheoryAttribute
{
    public LinuxTheoryAttribute(string reason = LinuxPaths.SkipReason)
    {
        if (Platform.Current.Receive != ReceivePath.Batch)
        {
            Skip = reason;
        }
    }
}

internal static class LinuxPaths
{
    internal const string SkipReason = "Linux only (recvmmsg, sendmmsg, control messages), and not with PSUDP_FORCE_PORTABLE=1: the portable paths are tested instead.";
}
