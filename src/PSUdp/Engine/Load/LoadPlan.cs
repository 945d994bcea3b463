using System;

namespace PSUdp.Engine.Load;

/// <summary>How long a <see cref="LoadGenerator"/> sends one payload, and how fast.</summary>
internal sealed class LoadPlan
{
    /// <summary>Stop after this many datagrams; 0 for no limit.</summary>
    public long Count { get; set; }

    /// <summary>Stop after this long; null for no limit.</summary>
    public TimeSpan? Duration { get; set; }

    /// <summary>Paces the sends; null sends as fast as the socket takes them.</summary>
    public SendPacer? Pacer { get; set; }

    /// <summary>False forces one system call per datagram, the path of systems without sendmmsg.</summary>
    public bool AllowBatches { get; set; } = true;

    /// <summary>How often the progress callback runs.</summary>
    public TimeSpan ProgressInterval { get; set; } = TimeSpan.FromMilliseconds(500);
}
