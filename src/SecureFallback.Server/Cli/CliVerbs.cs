using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using SecureFallback.Core.Messages;
using SecureFallback.Data;

namespace SecureFallback.Server.Cli;

/// <summary>
/// Admin verbs: <c>securefallback users add NAME</c> (password from standard input or an interactive prompt),
/// <c>users remove NAME</c>, <c>users list</c>, <c>accounts list|remove EMAIL</c> (<see cref="PortalAccountsCommand"/>),
/// <c>messages revoke|extend ID</c> (<see cref="MessagesCommand"/>), <c>tls-reports list|show|send</c> (<see cref="TlsReportsCommand"/>). They use the same settings and database as the server.
/// </summary>
internal static class CliVerbs
{
    private const string Usage = """
        Usage:
          securefallback [run]                run the server (only with no verb, or `run`)
          securefallback users add NAME       create or reset an SMTP relay user (password read from stdin or prompted)
          securefallback users remove NAME    delete a relay user
          securefallback users list           list relay users
          securefallback users add-admin EMAIL create an admin console account or reset its password (role Admin)
          securefallback accounts list        portal accounts: address, created, admin or recipient, disowned, locked
          securefallback accounts remove EMAIL delete a recipient's portal account (passkeys, tokens) so its owner can
                                              register again; unlocks the held messages its "not me" lock locked
                                              (admins are refused: exit 64)
          securefallback messages revoke ID [--recipient ADDRESS]
                                              revoke the held copies of message ID (all, or one recipient's): shredded,
                                              the recipient sees "revoked", the sender gets a confirmation
          securefallback messages extend ID [--days N] [--recipient ADDRESS]
                                              hold them N days longer (default 14; at most 365 days from arrival)
          securefallback tls-reports list     days x recipient domains with their TLS session counts (RFC 8460)
          securefallback tls-reports show DATE DOMAIN
                                              the TLS report (JSON) of DOMAIN for DATE (yyyy-MM-dd, UTC)
          securefallback tls-reports send [--date DATE] [--now]
                                              build and send a day's TLS reports now (default yesterday UTC; --now:
                                              today so far); a report already sent to an address is not sent again
          securefallback check-tls TARGET     STARTTLS, certificate and level checks for a domain or host:port (exit 1: policy not met)
          securefallback keys list            master key versions and what uses each
          securefallback keys rotate          add a master key version and re-wrap every data key under it (bodies untouched)
          securefallback keys retire          delete old master key versions nothing uses any more
          securefallback backup DIR           online copy of the database, key ring, portal keys and certificate into DIR
        Settings may follow any verb, e.g. --SecureFallback:DataDirectory=/var/lib/securefallback
        An unknown command or a stray argument exits 2 without starting anything.
        """;

    /// <summary>Exit code of an unknown command or a stray argument.</summary>
    public const int UsageError = 2;

    public static bool IsVerb(string word) => word is "users" or "accounts" or "messages" or "tls-reports" or "check-tls" or "keys" or "backup" or "help" or "--help" or "-h";

    public static async Task<int> RunAsync(string[] words, string[] settings)
    {
        if (words is ["users", "add" or "add-admin" or "remove", _] or ["users", "list"])
        {
            return await RunUsersAsync(words[1..], settings);
        }

        if (words is ["accounts", "list"] or ["accounts", "remove", _])
        {
            return await PortalAccountsCommand.RunAsync(words[1..], settings);
        }

        if (words is ["messages", ..])
        {
            return await MessagesCommand.RunAsync(words[1..], settings);
        }

        if (words is ["tls-reports", ..])
        {
            return await TlsReportsCommand.RunAsync(words[1..], settings);
        }

        if (words is ["check-tls", var target])
        {
            return await CheckTlsCommand.RunAsync(target, settings);
        }

        if (words is ["keys", var keysVerb and ("list" or "rotate" or "retire")])
        {
            return await KeysCommand.RunAsync(keysVerb, settings);
        }

        if (words is ["backup", var backupFolder])
        {
            return await BackupCommand.RunAsync(backupFolder, settings);
        }

        if (words is ["help"] or ["--help"] or ["-h"])
        {
            Console.WriteLine(Usage);
            return 0;
        }

        return Refuse(words);
    }

    /// <summary>Prints what was not understood and the usage, and returns <see cref="UsageError"/>.</summary>
    public static int Refuse(string[] words)
    {
        Console.Error.WriteLine(words switch
        {
            [var first, ..] when first != "run" && !IsVerb(first) => $"securefallback: unknown command '{first}'.",
            [_, .., var last] => $"securefallback: unexpected argument '{last}'.",
            _ => $"securefallback: '{string.Join(' ', words)}' needs more arguments.",
        });
        Console.Error.WriteLine(Usage);
        return UsageError;
    }

    private static async Task<int> RunUsersAsync(string[] words, string[] settings)
    {
        using var host = CliHost.BuildWithIdentity(settings);
        await using var scope = host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
        await db.MigrateToCurrentAsync();

        switch (words)
        {
            case ["add", var name]:
                return await AddUserAsync(db, scope.ServiceProvider.GetRequiredService<TimeProvider>(), name);
            case ["add-admin", var email]:
                return await AdminAccount.AddAsync(scope.ServiceProvider, email);
            case ["remove", var name]:
                var removed = await db.RelayUsers.Where(u => u.Name == name.ToLowerInvariant()).ExecuteDeleteAsync();
                Console.WriteLine(removed > 0 ? $"Removed relay user '{name}'." : $"No relay user '{name}'.");
                return removed > 0 ? 0 : 1;
            case ["list"]:
                foreach (var user in await db.RelayUsers.OrderBy(u => u.Name).ToListAsync())
                {
                    Console.WriteLine($"{user.Name}\tcreated {user.CreatedAt:u}");
                }

                return 0;
            default:
                return Refuse(["users", .. words]);
        }
    }

    private static async Task<int> AddUserAsync(SecureFallbackDbContext db, TimeProvider timeProvider, string name)
    {
        name = name.Trim().ToLowerInvariant();
        if (name.Length is 0 or > 256 || name.Any(char.IsWhiteSpace))
        {
            Console.Error.WriteLine("A user name must be 1-256 characters without spaces.");
            return 64;
        }

        var password = PasswordInput.Read();
        if (password is null || password.Length < 12)
        {
            Console.Error.WriteLine("The password must have at least 12 characters.");
            return 64;
        }

        var user = await db.RelayUsers.SingleOrDefaultAsync(u => u.Name == name);
        var created = user is null;
        user ??= db.RelayUsers.Add(new RelayUser { Name = name, CreatedAt = timeProvider.GetUtcNow() }).Entity;
        user.PasswordHash = new PasswordHasher<RelayUser>().HashPassword(user, password);
        await db.SaveChangesAsync();
        Console.WriteLine(created ? $"Created relay user '{name}'." : $"Changed the password of relay user '{name}'.");
        return 0;
    }
}

/// <summary>Reads a password from redirected standard input, or prompts twice without echo.</summary>
internal static class PasswordInput
{
    public static string? Read()
    {
        if (Console.IsInputRedirected)
        {
            return Console.In.ReadLine()?.TrimEnd('\r', '\n');
        }

        var first = Prompt("Password: ");
        var second = Prompt("Repeat password: ");
        if (first != second)
        {
            Console.Error.WriteLine("The passwords differ.");
            return null;
        }

        return first;
    }

    private static string Prompt(string label)
    {
        Console.Write(label);
        var password = new System.Text.StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                Console.WriteLine();
                return password.ToString();
            }

            if (key.Key == ConsoleKey.Backspace && password.Length > 0)
            {
                password.Length--;
            }
            else if (!char.IsControl(key.KeyChar))
            {
                password.Append(key.KeyChar);
            }
        }
    }
}
