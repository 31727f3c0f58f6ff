using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using SecureFallback.Core.Messages;
using SecureFallback.Data;
using SecureFallback.Server;
using SecureFallback.Smtp;

namespace SecureFallback.TestKit;

/// <summary>
/// The whole server started in-process on ephemeral ports with its own data directory, plus intent methods
/// (send a message, read recipient states) for tests.
/// </summary>
public sealed class SecureFallbackInstance : IAsyncDisposable
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private readonly WebApplication _app;

    private SecureFallbackInstance(WebApplication app, string dataDirectory)
    {
        _app = app;
        DataDirectory = dataDirectory;
        IntakePort = app.Services.GetRequiredService<IntakeReadiness>().EndPoint?.Port ?? 0; // 0: no Intake role
    }

    public string DataDirectory { get; }

    public int IntakePort { get; }

    /// <summary>Base address of the web side (portal, /healthz), e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public Uri WebAddress => new(_app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
        .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First());

    public IServiceProvider Services => _app.Services;

    public static async Task<SecureFallbackInstance> StartAsync(
        IDictionary<string, string>? settings = null,
        string? dataDirectory = null,
        TimeProvider? time = null,
        Action<IServiceCollection>? services = null)
    {
        dataDirectory ??= NewDataDirectory();
        var args = BaseArguments(dataDirectory).Concat((settings ?? new Dictionary<string, string>()).Select(s => $"--{s.Key}={s.Value}")).ToArray();
        var app = ServerHost.Build(args, collection =>
        {
            if (time is not null)
            {
                collection.AddSingleton(time);
            }

            services?.Invoke(collection);
        });
        await app.StartAsync();
        return new SecureFallbackInstance(app, dataDirectory);
    }

    public static string NewDataDirectory() =>
        Directory.CreateTempSubdirectory("securefallback-test-").FullName;

    public static IEnumerable<string> BaseArguments(string dataDirectory) =>
    [
        $"--SecureFallback:DataDirectory={dataDirectory}",
        "--SecureFallback:Intake:Port=0",
        "--Urls=http://127.0.0.1:0",
        "--SecureFallback:Delivery:HeloName=securefallback.test",
        "--SecureFallback:Delivery:RetrySchedule:0=00:00:01",
        "--SecureFallback:Delivery:ConnectTimeout=00:00:05",
        "--SecureFallback:Delivery:CommandTimeout=00:00:20",
        "--Logging:LogLevel:Default=Warning",
        .. TestDatabase.Arguments(dataDirectory),
    ];

    /// <summary>Submits a message through the intake like the organisation's mail server would.</summary>
    public async Task<string> SendAsync(string from, IEnumerable<string> to, string subject, string body)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(from));
        foreach (var recipient in to)
        {
            message.To.Add(MailboxAddress.Parse(recipient));
        }

        message.Subject = subject;
        message.Body = new TextPart("plain") { Text = body };
        return await SendAsync(message);
    }

    public async Task<string> SendAsync(MimeMessage message)
    {
        using var client = new SmtpClient();
        await client.ConnectAsync("127.0.0.1", IntakePort, SecureSocketOptions.None);
        return await client.SendAsync(message);
    }

    public async Task<List<QueuedRecipient>> RecipientsAsync()
    {
        await using var scope = Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
        return await db.Recipients.AsNoTracking().Include(r => r.Message).OrderBy(r => r.Id).ToListAsync();
    }

    public async Task<List<DeliveryAttempt>> AttemptsAsync()
    {
        await using var scope = Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
        return await db.DeliveryAttempts.AsNoTracking().OrderBy(a => a.Id).ToListAsync();
    }

    /// <summary>An SMTP relay user, as <c>securefallback users add</c> leaves it.</summary>
    public async Task AddRelayUserAsync(string name, string password)
    {
        await using var scope = Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
        var user = new RelayUser { Name = name, CreatedAt = Services.GetRequiredService<TimeProvider>().GetUtcNow() };
        user.PasswordHash = new PasswordHasher<RelayUser>().HashPassword(user, password);
        db.RelayUsers.Add(user);
        await db.SaveChangesAsync();
    }

    /// <summary>A MailKit client for the intake, which trusts the intake's generated self-signed certificate.</summary>
    public static SmtpClient NewIntakeClient() => new()
    {
        ServerCertificateValidationCallback = (_, certificate, _, _) => certificate is not null,
    };

    /// <summary>A confirmed portal account, as registration (or <c>users add-admin</c> with role Admin) leaves it.</summary>
    public async Task AddPortalUserAsync(string email, string password, params string[] roles)
    {
        await using var scope = Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        var roleManager = scope.ServiceProvider.GetRequiredService<RoleManager<IdentityRole>>();
        var now = Services.GetRequiredService<TimeProvider>().GetUtcNow();
        var user = new PortalUser { UserName = email, Email = email, EmailConfirmed = true, CreatedAt = now, RegisteredAt = now };
        var created = await users.CreateAsync(user, password);
        if (!created.Succeeded)
        {
            throw new InvalidOperationException(string.Join(" ", created.Errors.Select(e => e.Description)));
        }

        foreach (var role in roles)
        {
            if (!await roleManager.RoleExistsAsync(role))
            {
                await roleManager.CreateAsync(new IdentityRole(role));
            }

            await users.AddToRoleAsync(user, role);
        }
    }

    /// <summary>Waits until <paramref name="condition"/> holds for the recipient rows (30 s by default).</summary>
    public async Task<List<QueuedRecipient>> WaitForRecipientsAsync(Func<List<QueuedRecipient>, bool> condition, TimeSpan? timeout = null)
    {
        // The test's own deadline runs on real time, whatever clock the server was given.
        var started = TimeProvider.System.GetTimestamp();
        while (true)
        {
            var recipients = await RecipientsAsync();
            if (condition(recipients))
            {
                return recipients;
            }

            if (TimeProvider.System.GetElapsedTime(started) > (timeout ?? DefaultTimeout))
            {
                throw new TimeoutException("Recipients did not reach the expected state: " +
                    string.Join("; ", recipients.Select(r => $"{r.Address}={r.Status}/{r.LastOutcome}/{r.Reason}")));
            }

            await Task.Delay(100);
        }
    }

    /// <summary>
    /// Waits until the queue has settled: no recipient is queued and due (by the server's clock), none is leased by a
    /// delivery in progress, and no outbox flag waits (a DSN, a pickup notice, a read receipt). Use it instead of a
    /// fixed sleep before asserting that nothing more was sent: each step the server takes leaves one of these marks
    /// in the same transaction as its cause, so when none is left, whatever the server had to do is done.
    /// Not waited for: work that starts only later (a retry not yet due, a periodic scan, a fake clock not yet
    /// advanced), and an instance without the Delivery role never settles while anything is queued.
    /// </summary>
    /// <exception cref="TimeoutException">The queue was still busy after <paramref name="timeout"/> (30 s by default).</exception>
    public async Task WaitForIdleQueueAsync(TimeSpan? timeout = null)
    {
        var clock = Services.GetRequiredService<TimeProvider>();
        var started = TimeProvider.System.GetTimestamp();
        while (true)
        {
            var busy = await BusyWithAsync(clock.GetUtcNow());
            if (busy is null)
            {
                return;
            }

            if (TimeProvider.System.GetElapsedTime(started) > (timeout ?? DefaultTimeout))
            {
                throw new TimeoutException($"The queue did not settle: {busy}.");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>What the queue is still busy with at <paramref name="now"/>, or null when it is idle.</summary>
    private async Task<string?> BusyWithAsync(DateTimeOffset now)
    {
        await using var scope = Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
        if (await db.Recipients.AnyAsync(r => r.Status == RecipientStatus.Queued && r.NextAttemptAt <= now))
        {
            return "a recipient is queued and due";
        }

        if (await db.Recipients.AnyAsync(r => r.LeaseOwner != null && r.LeaseUntil > now))
        {
            return "a recipient is leased by a delivery in progress";
        }

        if (await db.Recipients.AnyAsync(r => r.DsnPending || r.PickupNoticePending))
        {
            return "a DSN or pickup notice is pending";
        }

        return await db.PickupGrants.AnyAsync(g => g.ReadReceiptPending) ? "a read receipt is pending" : null;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Npgsql.NpgsqlConnection.ClearAllPools();
    }
}
