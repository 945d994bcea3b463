using System;
using System.IO;
using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace PSUdp.WindowsHost;

/// <summary>
/// Runs a PowerShell script file in a runspace and exits with its exit code (1 when it threw), or,
/// with --probe, asks Winsock the questions PSUdp's Windows paths depend on (WinsockProbe).
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        if (args.Length == 1 && args[0] is "--probe" or "-probe")
        {
            return WinsockProbe.Run(Console.Out);
        }

        if (args.Length < 1 || !File.Exists(args[0]))
        {
            Console.Error.WriteLine("usage: WindowsHost.exe <script.ps1> [arguments...] | --probe");
            return 2;
        }

        return RunScript(Path.GetFullPath(args[0]), args[1..]);
    }

    private static int RunScript(string path, string[] arguments)
    {
        InitialSessionState state = InitialSessionState.CreateDefault2();
        state.ExecutionPolicy = Microsoft.PowerShell.ExecutionPolicy.Bypass;
        using Runspace runspace = RunspaceFactory.CreateRunspace(state);
        runspace.Open();
        using PowerShell shell = PowerShell.Create();
        shell.Runspace = runspace;
        // Every stream merged and rendered as pwsh would show it, line by line as it comes.
        shell.AddScript("param($Path, $Arguments) $global:LASTEXITCODE = 0; & $Path @Arguments *>&1 | Out-String -Stream -Width 200 | ForEach-Object { [Console]::Out.WriteLine($_) }; $global:LASTEXITCODE")
            .AddArgument(path).AddArgument(arguments);
        try
        {
            var results = shell.Invoke();
            Console.Out.Flush();
            return results.Count > 0 && results[^1]?.BaseObject is int code ? code : 0;
        }
        catch (RuntimeException e)
        {
            Console.Error.WriteLine(e.ErrorRecord?.ToString() ?? e.Message);
            return 1;
        }
    }
}
