using System.Globalization;
using SecureFallback.Server;
using SecureFallback.Server.Cli;

// Protocol text (SMTP replies, DSN fields, logs, CLI output) never follows the machine's locale; the portal and the
// mail we write choose a recipient's language explicitly (SupportedLanguages).
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.DefaultThreadCurrentUICulture = CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = CultureInfo.InvariantCulture;

// The server starts only with no verb or `run`: a mistyped verb must never become a second server on the same data.
var (words, settings) = CommandLine.Split(args);
return words switch
{
    [] or ["run"] => await ServerHost.RunAsync(settings),
    [var verb, ..] when CliVerbs.IsVerb(verb) => await CliVerbs.RunAsync(words, settings),
    _ => CliVerbs.Refuse(words),
};
