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

    // The script's parameters as pwsh -File takes them: "-Name value", "-Switch", or positional.
    private static void AddArguments(Command command, string[] arguments)
    {
        for (int i = 0; i < arguments.Length; i++)
        {
            string argument = arguments[i];
            if (argument.Length > 1 && argument[0] == '-' && !char.IsDigit(argument[1]))
            {
                bool hasValue = i + 1 < arguments.Length && !(arguments[i + 1].Length > 1 && arguments[i + 1][0] == '-' && !char.IsDigit(arguments[i + 1][1]));
                command.Parameters.Add(argument.Substring(1), hasValue ? arguments[++i] : true);
            }
            else
            {
                command.Parameters.Add(null, argument);
            }
        }
    }

    private static int RunScript(string path, string[] arguments)
    {
        // PowerShell's own modules come with the SDK under runtimes/; the caller's PSModulePath (the built module) goes first.
        string modules = Path.Combine(AppContext.BaseDirectory, "runtimes", "win", "lib", "net10.0", "Modules");
        string? callers = Environment.GetEnvironmentVariable("PSModulePath");
        Environment.SetEnvironmentVariable("PSModulePath", string.IsNullOrEmpty(callers) ? modules : $"{callers};{modules}");
        InitialSessionState state = InitialSessionState.CreateDefault2();
        state.ExecutionPolicy = Microsoft.PowerShell.ExecutionPolicy.Bypass;
        using Runspace runspace = RunspaceFactory.CreateRunspace(state);
        runspace.Open();
        using PowerShell shell = PowerShell.Create();
        shell.Runspace = runspace;

        // Every stream merged into the output and rendered as pwsh would show it, line by line as it comes.
        var script = new Command(path);
        AddArguments(script, arguments);
        script.MergeMyResults(PipelineResultTypes.All, PipelineResultTypes.Output);
        shell.Commands.AddCommand(script);
        shell.AddCommand("Out-String").AddParameter("Stream").AddParameter("Width", 200);
        var output = new PSDataCollection<PSObject>();
        output.DataAdded += (_, e) => Console.Out.WriteLine(output[e.Index]);
        try
        {
            shell.Invoke(null, output);
        }
        catch (RuntimeException e)
        {
            Console.Out.Flush();
            Console.Error.WriteLine(e.ErrorRecord?.ToString() ?? e.Message);
            return 1;
        }

        Console.Out.Flush();
        return runspace.SessionStateProxy.GetVariable("LASTEXITCODE") is int code ? code : 0;
    }
}
