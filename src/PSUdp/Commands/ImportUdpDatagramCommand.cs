using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Management.Automation;
using System.Text;
using PSUdp.Engine;
using PSUdp.Engine.Capture;
using PSUdp.Engine.Text;

namespace PSUdp.Commands;

/// <summary>Reads the UDP datagrams of pcap and pcapng files (tcpdump, tshark, dumpcap, PSUdp) as datagram objects.</summary>
[Cmdlet(VerbsData.Import, "UdpDatagram")]
[OutputType(typeof(UdpDatagram))]
public sealed class ImportUdpDatagramCommand : UdpCmdlet
{
    #region Parameters

    /// <summary>The capture files to read; wildcards are allowed.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary>Decodes each datagram's Text; UTF-8 by default.</summary>
    [Parameter]
    [EncodingTransformation]
    [ArgumentCompleter(typeof(EncodingCompleter))]
    public Encoding Encoding { get; set; } = EncodingResolver.Default;

    /// <summary>Writes the datagrams at the pace they were captured, so a replay through Send-UdpDatagram keeps the original timing.</summary>
    [Parameter]
    public SwitchParameter Paced { get; set; }

    #endregion

    /// <summary>Reads each file in turn.</summary>
    protected override void ProcessRecord()
    {
        foreach (string path in Path)
        {
            foreach (string file in Resolve(path))
            {
                Read(file);
            }
        }
    }

    private IEnumerable<string> Resolve(string path)
    {
        try
        {
            return SessionState.Path.GetResolvedProviderPathFromPSPath(path, out _);
        }
        catch (ItemNotFoundException e)
        {
            WriteError(new ErrorRecord(e, "CaptureFileNotFound", ErrorCategory.ObjectNotFound, path));
            return Array.Empty<string>();
        }
    }

    private void Read(string file)
    {
        CaptureReader reader;
        try
        {
            reader = CaptureReader.Open(file, Encoding);
        }
        catch (UdpException e)
        {
            WriteUdpError(e, file);
            return;
        }

        using (reader)
        {
            WriteVerbose($"Reading {reader.Format} from {file}.");
            var clock = Stopwatch.StartNew();
            long firstTicks = 0;
            try
            {
                while (reader.Next() is { } datagram)
                {
                    if (Paced)
                    {
                        long ticks = datagram.Timestamp.UtcTicks;
                        if (reader.Counts.Datagrams == 1)
                        {
                            firstTicks = ticks;
                            clock.Restart();
                        }

                        Wait(TimeSpan.FromTicks(ticks - firstTicks) - clock.Elapsed);
                    }

                    WriteObject(datagram);
                }
            }
            catch (UdpException e)
            {
                WriteUdpError(e, file);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            Summarize(file, reader.Counts);
        }
    }

    // Waits until the datagram's moment; a pipeline stop (Ctrl+C) ends the wait at once.
    private void Wait(TimeSpan delay)
    {
        if (delay > TimeSpan.Zero)
        {
            StopToken.WaitHandle.WaitOne(delay);
            StopToken.ThrowIfCancellationRequested();
        }
    }

    private void Summarize(string file, CaptureCounts counts)
    {
        WriteVerbose($"{file}: {counts.Packets:N0} packets, {counts.Datagrams:N0} UDP datagrams; skipped {counts.NotUdp:N0} of other protocols, {counts.Fragments:N0} IP fragments, {counts.Unreadable:N0} unreadable, {counts.OtherLinkType:N0} of other link types.");
        if (counts.Fragments > 0)
        {
            WriteWarning($"{file}: {counts.Fragments:N0} IP fragments of UDP packets were skipped: PSUdp does not reassemble fragmented datagrams. Wireshark and tshark show them reassembled.");
        }

        if (counts.Unreadable + counts.OtherLinkType > 0)
        {
            WriteWarning($"{file}: {counts.Unreadable + counts.OtherLinkType:N0} packets were skipped because PSUdp cannot read their headers ({counts.Unreadable:N0} malformed or cut before the UDP header, {counts.OtherLinkType:N0} of link types other than Ethernet, raw IP, Linux cooked and loopback).");
        }

        if (counts.Truncated > 0)
        {
            WriteWarning($"{file}: {counts.Truncated:N0} datagrams were cut short by the capture's snapshot length; they are written with Truncated = $true and only the bytes the capture kept.");
        }
    }
}
