using System;
using System.Diagnostics;
using System.IO;
using System.Management.Automation;
using PSUdp.Engine.Capture;

namespace PSUdp.Commands;

/// <summary>Writes piped datagrams to a pcapng or pcap file that Wireshark, tshark and tcpdump read, or to JSON.</summary>
[Cmdlet(VerbsData.Export, "UdpDatagram", SupportsShouldProcess = true)]
[OutputType(typeof(UdpDatagram))]
public sealed class ExportUdpDatagramCommand : UdpCmdlet
{
    // A capture that is written for a long time is flushed this often, so Wireshark can read it meanwhile.
    private static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(1);

    private readonly Stopwatch sinceFlush = new();
    private CaptureWriter? writer;
    private string resolvedPath = string.Empty;

    #region Parameters

    /// <summary>The file to write; its extension (.pcapng, .pcap, .json) chooses the format unless -Format does.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    /// <summary>The datagrams to write: live ones, or ones deserialized from jobs, remoting or Import-Clixml.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public PSObject? InputObject { get; set; }

    /// <summary>The file format, Pcapng, Pcap or Json; by default the one the extension names.</summary>
    [Parameter]
    public CaptureFormat Format { get; set; }

    /// <summary>Adds to the end of an existing capture file of the same format instead of replacing it.</summary>
    [Parameter]
    public SwitchParameter Append { get; set; }

    /// <summary>Writes each datagram to the pipeline after writing it to the file.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    #endregion

    /// <summary>Chooses the format and opens the file, so a bad path fails before the first datagram.</summary>
    protected override void BeginProcessing()
    {
        resolvedPath = SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path);
        CaptureFormat format = Format;
        if (!MyInvocation.BoundParameters.ContainsKey(nameof(Format)))
        {
            string extension = System.IO.Path.GetExtension(resolvedPath).ToLowerInvariant();
            switch (extension)
            {
                case ".pcapng":
                case ".ntar":
                    format = CaptureFormat.Pcapng;
                    break;
                case ".pcap":
                case ".cap":
                    format = CaptureFormat.Pcap;
                    break;
                case ".json":
                    format = CaptureFormat.Json;
                    break;
                default:
                    ThrowTerminatingError(ErrorRecords.InvalidArguments("UnknownCaptureFormat",
                        $"The extension of '{Path}' names no capture format. Use a path that ends in .pcapng, .pcap or .json, or give -Format Pcapng, Pcap or Json.", Path));
                    break;
            }
        }

        string action = Append ? $"Append UDP datagrams ({format})" : $"Write UDP datagrams ({format})";
        if (!ShouldProcess(resolvedPath, action))
        {
            return;
        }

        try
        {
            writer = CaptureWriter.Open(resolvedPath, format, Append);
        }
        catch (UdpException e)
        {
            ThrowUdpError(e, Path);
        }

        sinceFlush.Start();
        WriteVerbose($"Writing {format} to {resolvedPath}.");
    }

    /// <summary>Writes the current datagram.</summary>
    protected override void ProcessRecord()
    {
        if (InputObject is null)
        {
            return;
        }

        if (DatagramInput.From(InputObject) is not { } datagram)
        {
            WriteError(ErrorRecords.InvalidArguments("NotADatagram",
                $"'{InputObject}' is not a PSUdp.UdpDatagram (or one deserialized from a job, remoting or Import-Clixml), so it cannot be written to a capture. Pipe datagrams from Receive-UdpDatagram, Start-UdpEcho, Import-UdpDatagram or Send-UdpDatagram -PassThru.",
                InputObject));
            return;
        }

        if (writer is not null)
        {
            try
            {
                writer.Write(datagram);
                if (sinceFlush.Elapsed >= FlushInterval)
                {
                    writer.Flush();
                    sinceFlush.Restart();
                }
            }
            catch (UdpException e)
            {
                WriteUdpError(e, InputObject);
                return;
            }
            catch (IOException e)
            {
                ThrowUdpError(new UdpException(UdpErrorKind.CaptureFileFailed, $"The capture file '{resolvedPath}' cannot be written: {e.Message}", Path, e));
            }
        }

        if (PassThru)
        {
            WriteObject(InputObject);
        }
    }

    /// <summary>Closes the file.</summary>
    protected override void EndProcessing()
    {
        if (writer is not null)
        {
            WriteVerbose($"Wrote {writer.Written:N0} datagrams to {resolvedPath}.");
            writer.Dispose();
            writer = null;
        }
    }

    /// <summary>Closes the file when the pipeline stops early.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            writer?.Dispose();
        }

        base.Dispose(disposing);
    }
}
