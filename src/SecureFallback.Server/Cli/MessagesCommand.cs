using System.Globalization;
using SecureFallback.Core.Messages;
using SecureFallback.Data;
using SecureFallback.Data.Holds;

namespace SecureFallback.Server.Cli;

/// <summary>
/// <c>securefallback messages revoke ID [--recipient ADDRESS]</c> and <c>messages extend ID [--days N] [--recipient
/// ADDRESS]</c>: the administrator's revoke and extend for the held copies of message ID (its id as the console
/// shows it), all of them unless one recipient is named. The same command as the console's buttons and the sender's
/// links (<see cref="HeldCopies"/>), audited as "command line".
/// </summary>
internal static class MessagesCommand
{
    /// <summary>Exit code of a refused request (a --days out of bounds).</summary>
    private const int Refused = 64;

    private const string Who = "administrator (command line)";

    public static async Task<int> RunAsync(string[] words, string[] settings)
    {
        var (options, rest) = CommandLine.TakeOptions(settings, "--days", "--recipient");
        if (words is not [var verb and ("revoke" or "extend"), var id] || !Guid.TryParse(id, out var messageId)
            || (verb == "revoke" && options.ContainsKey("--days")))
        {
            return CliVerbs.Refuse(["messages", .. words]);
        }

        var days = 14;
        if (options.TryGetValue("--days", out var daysText) && !int.TryParse(daysText, NumberStyles.None, CultureInfo.InvariantCulture, out days))
        {
            Console.Error.WriteLine($"--days must be a whole number of days, not '{daysText}'.");
            return Refused;
        }

        using var host = CliHost.Build(rest, _ => { });
        await using var scope = host.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>().MigrateToCurrentAsync();
        var held = scope.ServiceProvider.GetRequiredService<HeldCopies>();
        options.TryGetValue("--recipient", out var address);
        var ids = await held.HeldIdsAsync(messageId, address, CancellationToken.None);
        if (ids.Count == 0)
        {
            Console.Error.WriteLine($"Message {messageId} has no copy held for pickup{(address is null ? "" : $" for {address}")}.");
            return 1;
        }

        if (verb == "revoke")
        {
            foreach (var recipient in await held.RevokeAsync(ids, RevokedBy.Administrator, Who, CancellationToken.None))
            {
                Console.WriteLine($"Revoked the copy for {recipient.Address}; the sender is told.");
            }

            return 0;
        }

        try
        {
            foreach (var recipient in await held.ExtendAsync(ids, TimeSpan.FromDays(days), Who, CancellationToken.None))
            {
                Console.WriteLine($"The copy for {recipient.Address} is now held until {recipient.HoldUntil:u}.");
            }

            return 0;
        }
        catch (ArgumentOutOfRangeException ex)
        {
            Console.Error.WriteLine(ex.Message.Split(" (Parameter", 2)[0]);
            return Refused;
        }
    }
}
