namespace PSUdp.Engine.Relay;

/// <summary>
/// The relay's random numbers: xoshiro256** seeded through SplitMix64, the same sequence on every
/// platform and runtime for the same seed and stream, so a seed repeats a run's decisions exactly.
/// Each direction of a relay draws from its own stream.
/// </summary>
internal sealed class RelayRandom
{
    private ulong s0;
    private ulong s1;
    private ulong s2;
    private ulong s3;

    internal RelayRandom(long seed, ulong stream)
    {
        ulong x = unchecked((ulong)seed ^ (stream * 0x9E3779B97F4A7C15UL));
        s0 = SplitMix(ref x);
        s1 = SplitMix(ref x);
        s2 = SplitMix(ref x);
        s3 = SplitMix(ref x);
    }

    /// <summary>A number in [0, 1) with 53 random bits.</summary>
    internal double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A number in [0, <paramref name="bound"/>).</summary>
    internal long NextBelow(long bound) => bound <= 1 ? 0 : (long)(NextDouble() * bound);

    private ulong Next()
    {
        unchecked
        {
            ulong result = RotateLeft(s1 * 5, 7) * 9;
            ulong t = s1 << 17;
            s2 ^= s0;
            s3 ^= s1;
            s1 ^= s2;
            s0 ^= s3;
            s2 ^= t;
            s3 = RotateLeft(s3, 45);
            return result;
        }
    }

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));

    private static ulong SplitMix(ref ulong x)
    {
        unchecked
        {
            x += 0x9E3779B97F4A7C15UL;
            ulong z = x;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }
}
