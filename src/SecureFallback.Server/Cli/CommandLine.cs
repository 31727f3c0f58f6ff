namespace SecureFallback.Server.Cli;

/// <summary>
/// Splits the command line into words (a verb and its operands) and settings for the configuration: <c>--key=value</c>,
/// or <c>--key value</c> as .NET's command-line configuration reads it (<c>--urls http://…</c>).
/// </summary>
internal static class CommandLine
{
    public static (string[] Words, string[] Settings) Split(string[] args)
    {
        var words = new List<string>();
        var settings = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg is "--help" || !arg.StartsWith("--", StringComparison.Ordinal))
            {
                words.Add(arg);
                continue;
            }

            settings.Add(arg);
            if (!arg.Contains('=', StringComparison.Ordinal) && i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                settings.Add(args[++i]);
            }
        }

        return ([.. words], [.. settings]);
    }
}
