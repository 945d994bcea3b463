using System;
using System.Management.Automation;
using System.Net;
using PSUdp.Engine;
using PSUdp.Engine.Load;

namespace PSUdp.Commands;

/// <summary>
/// Send-UdpDatagram's load generation: each input sent many times (-RepeatCount, -DurationSeconds),
/// and pacing (-RatePerSecond) of those runs or of the pipeline itself.
/// </summary>
[OutputType(typeof(UdpSendSummary))]
public sealed partial class SendUdpDatagramCommand
{
    // A run shows progress once it has lasted this long.
    private static readonly TimeSpan ProgressAfter = TimeSpan.FromSeconds(1);

    private SendPacer? pacer;

    #region Parameters

    /// <summary>Sends each input this many times to each host, as fast as the socket takes them or at -RatePerSecond.</summary>
    [Parameter]
    [ValidateRange(1, long.MaxValue)]
    public long RepeatCount { get; set; }

    /// <summary>Sends each input again and again to each host for this many seconds.</summary>
    [Parameter]
    [ValidateTimeout]
    public double DurationSeconds { get; set; }

    /// <summary>Paces the sends to this many datagrams per second.</summary>
    [Parameter]
    [ValidateRange(0.001, 100_000_000.0)]
    public double RatePerSecond { get; set; }

    #endregion

    // Each input is sent many times: -RepeatCount or -DurationSeconds.
    private bool Repeats => RepeatCount > 0 || DurationSeconds > 0;

    // Checks the load parameters before anything is bound or sent.
    private void BeginLoad()
    {
        if (Repeats && WaitForReply)
        {
            ThrowTerminatingError(ErrorRecords.InvalidArguments("ConflictingRepeatAndReply",
                "-RepeatCount and -DurationSeconds send each input many times without reading replies, so they exclude -WaitForReply. Use -RatePerSecond with -WaitForReply to pace probes, or leave out -WaitForReply."));
        }

        if (RatePerSecond > 0)
        {
            pacer = new SendPacer(RatePerSecond);
        }
    }

    // Waits for the pacer's turn of one datagram of the pipeline; false when Ctrl+C came first.
    private bool WaitForPace()
    {
        if (pacer is null)
        {
            return true;
        }

        if (pacer.WaitForTurn(1, long.MaxValue, StopToken) == 0)
        {
            return false;
        }

        pacer.Sent(1);
        return true;
    }

    // The action -WhatIf and -Confirm show for a repeated send.
    private string LoadAction(int length)
    {
        string how = RepeatCount > 0 && DurationSeconds > 0 ? $"{RepeatCount:N0} times, for at most {DurationSeconds:0.###} s"
            : RepeatCount > 0 ? $"{RepeatCount:N0} times"
            : $"again and again for {DurationSeconds:0.###} s";
        if (RatePerSecond > 0)
        {
            how += $", at {RatePerSecond:N0} per second";
        }

        return $"Send a {length:N0}-byte UDP datagram {how}";
    }

    // Sends one payload many times to one target and reports the run.
    private void SendRepeatedly(IPEndPoint target, byte[] payload)
    {
        var plan = new LoadPlan
        {
            Count = RepeatCount,
            Duration = DurationSeconds > 0 ? TimeSpan.FromSeconds(DurationSeconds) : null,
            Pacer = pacer,
        };
        string activity = $"Sending {payload.Length:N0}-byte datagrams to {lastTargetText}";
        bool showed = false;
        UdpSendSummary summary = sender!.SendRepeatedly(target, payload, plan, StopToken, (sent, elapsed) =>
        {
            if (elapsed >= ProgressAfter)
            {
                showed = true;
                WriteProgress(Progress(activity, sent, elapsed));
            }
        });
        if (showed)
        {
            WriteProgress(new ProgressRecord(ProgressId, activity, "Done") { RecordType = ProgressRecordType.Completed });
        }

        if (StopToken.IsCancellationRequested)
        {
            return; // Ctrl+C: the pipeline is stopping and takes no more output
        }

        WriteVerbose($"Sent {summary.Sent:N0} datagrams of {summary.Length:N0} bytes to {lastTargetText} in {summary.Elapsed.TotalSeconds:N3} s: {summary.RatePerSecond:N0} per second{(summary.RequestedRate is { } rate ? $" (asked for {rate:N0})" : string.Empty)}, {summary.SystemCalls:N0} system calls.");
        if (summary.Refused > 0)
        {
            WriteError(ErrorRecords.RefusedDuringRun(summary, target, MyInvocation.MyCommand));
        }

        if (PassThru)
        {
            WriteObject(summary);
        }
    }

    private const int ProgressId = 1;

    private ProgressRecord Progress(string activity, long sent, TimeSpan elapsed)
    {
        double rate = sent / Math.Max(elapsed.TotalSeconds, 1e-9);
        var record = new ProgressRecord(ProgressId, activity, $"{sent:N0} sent in {elapsed.TotalSeconds:N0} s ({rate:N0} per second)");
        double done = 0;
        double left = -1;
        if (DurationSeconds > 0)
        {
            done = elapsed.TotalSeconds / DurationSeconds;
            left = DurationSeconds - elapsed.TotalSeconds;
        }

        if (RepeatCount > 0)
        {
            double byCount = (double)sent / RepeatCount;
            if (byCount > done)
            {
                done = byCount;
                left = rate > 0 ? (RepeatCount - sent) / rate : -1;
            }
        }

        record.PercentComplete = (int)Math.Min(100, Math.Max(0, done * 100));
        record.SecondsRemaining = left < 0 ? -1 : (int)Math.Ceiling(left);
        return record;
    }
}
