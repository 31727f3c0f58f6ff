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

    /// <summary>
    /// Takes a verb's own options <paramref name="names"/> (as <c>--x value</c>, <c>--x=value</c>, or a bare flag
    /// <c>--x</c> with the value "") out of the settings; the rest stay settings for the configuration.
    /// </summary>
    public static (Dictionary<string, string> Options, string[] Settings) TakeOptions(string[] settings, params string[] names)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        var rest = new List<string>();
        for (var i = 0; i < settings.Length; i++)
        {
            var (name, value) = settings[i].Split('=', 2) is [var n, var v] ? (n, (string?)v) : (settings[i], null);
            if (names.Contains(name, StringComparer.Ordinal))
            {
                value ??= i + 1 < settings.Length && !settings[i + 1].StartsWith("--", StringComparison.Ordinal) ? settings[++i] : "";
                options[name] = value;
                continue;
            }

            rest.Add(settings[i]);
        }

        return (options, [.. rest]);
    }
}
