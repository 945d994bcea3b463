namespace PSUdp.Tests;

/// <summary>A fact about Linux's own paths (recvmmsg, sendmmsg); skipped, with the reason, where they are not taken.</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        if (!Platform.LinuxPaths)
        {
            Skip = LinuxPaths.SkipReason;
        }
    }
}

/// <summary>A theory about Linux's own paths; skipped, with the reason, where they are not taken.</summary>
public sealed class LinuxTheoryAttribute : TheoryAttribute
{
    public LinuxTheoryAttribute()
    {
        if (!Platform.LinuxPaths)
        {
            Skip = LinuxPaths.SkipReason;
        }
    }
}

internal static class LinuxPaths
{
    internal const string SkipReason = "Linux only (recvmmsg/sendmmsg), and not with PSUDP_FORCE_PORTABLE=1: the portable paths are tested instead.";
}
