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
        var user = new RelayUser { Name = name, CreatedAt = DateTimeOffset.UtcNow };
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
        var user = new PortalUser { UserName = email, Email = email, EmailConfirmed = true, CreatedAt = DateTimeOffset.UtcNow };
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

    /// <summary>Waits until <paramref name="condition"/> holds for the recipient rows.</summary>
    public async Task<List<QueuedRecipient>> WaitForRecipientsAsync(Func<List<QueuedRecipient>, bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var recipients = await RecipientsAsync();
            if (condition(recipients))
            {
                return recipients;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("Recipients did not reach the expected state: " +
                    string.Join("; ", recipients.Select(r => $"{r.Address}={r.Status}/{r.LastOutcome}/{r.Reason}")));
            }

            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Npgsql.NpgsqlConnection.ClearAllPools();
    }
}
