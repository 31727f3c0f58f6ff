using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using SecureFallback.Core.Messages;
using SecureFallback.Data;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

/// <summary>
/// The sender revokes or extends a held copy from the links in the held DSN (confirmed on a page, no sign-in); an
/// admin does the same from the queue page and the command line. Revoking shreds the copy and tells the sender.
/// </summary>
public sealed partial class RevokeAndExtendTests
{
    private const string Password = "a long portal password";
    private const string Carol = "carol@plain.test";
    private const string Dave = "dave@plain.test";

    [Fact]
    public async Task SendersLinks_ExtendMovesTheExpiry_RevokeShredsTheCopy_TheRecipientSeesRevoked_AndTheSenderIsTold()
    {
        await using var held = await HeldAsync([Carol]);
        using var carol = new PortalVisitor(held.Server.WebAddress);
        var message = await RegisterAsync(carol, held);
        var recipient = await RecipientAsync(held.Server, Carol);
        var holdUntil = recipient.HoldUntil!.Value;

        using var sender = new PortalVisitor(held.Server.WebAddress);
        var extended = await ConfirmAsync(sender, ExtendLink().Match(held.DsnText).Value);
        Assert.Contains("is now held until", extended);
        var after = await RecipientAsync(held.Server, Carol);
        Assert.Equal(holdUntil + TimeSpan.FromDays(14), after.HoldUntil);
        await using (var scope = held.Server.Services.CreateAsyncScope())
        {
            var grant = await scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>().PickupGrants.SingleAsync(g => g.RecipientId == recipient.Id);
            Assert.Equal(after.HoldUntil, grant.ExpiresAt);
        }

        var revokeLink = RevokeLink().Match(held.DsnText).Value;
        using (var opened = await sender.SendAsync(HttpMethod.Get, new Uri(revokeLink).PathAndQuery))
        {
            Assert.Contains("Revoke the message", await opened.Content.ReadAsStringAsync()); // opening changes nothing
        }

        Assert.Contains("carol-marker-body", await ReadAsync(carol, message));
        Assert.Contains("is revoked", await ConfirmAsync(sender, revokeLink));

        var page = await ReadAsync(carol, message);
        Assert.Contains("Revoked by the sender on", page);
        Assert.DoesNotContain("carol-marker-body", page);
        Assert.Contains("Revoked by the sender on", await ReadAsync(carol, "/inbox"));
        await using (var scope = held.Server.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
            Assert.False(await db.MessageContents.AnyAsync(c => c.MessageId == recipient.MessageId)); // ciphertext and wrapped key gone
            Assert.Equal(["extend", "revoke"], await db.HoldActions.OrderBy(a => a.Id).Select(a => a.Action).ToListAsync());
        }

        Assert.Equal(RecipientStatus.Revoked, (await RecipientAsync(held.Server, Carol)).Status);
        // The DSN, the read receipt (Carol read it first), and the confirmation.
        var confirmation = Assert.Single((await held.Sender.WaitForMessagesAsync(3)).Select(m => m.Parse()), m => m.Subject?.StartsWith("Revoked", StringComparison.Ordinal) == true);
        Assert.Contains(Carol, confirmation.TextBody);
        Assert.Contains("This link cannot be used", await ConfirmAsync(sender, revokeLink)); // the link dies with the copy
    }

    [Fact]
    public async Task MessagesRevokeAndExtend_OnTheCommandLine_ExtendWithinBounds_RevokeOneThenAll_ShreddingWhenTheLastGoes()
    {
        var dataDirectory = SecureFallbackInstance.NewDataDirectory();
        Guid messageId;
        await using (var held = await HeldAsync([Carol, Dave], dataDirectory))
        {
            messageId = (await RecipientAsync(held.Server, Carol)).MessageId;
        }

        var id = messageId.ToString();
        var (extendExit, extended) = await CliAsync(dataDirectory, "messages", "extend", id, "--days", "30", "--recipient", Carol);
        Assert.Equal(0, extendExit);
        Assert.Contains($"The copy for {Carol} is now held until", extended);
        Assert.DoesNotContain(Dave, extended);
        var (tooLongExit, tooLong) = await CliAsync(dataDirectory, "messages", "extend", id, "--days", "400");
        Assert.Equal(64, tooLongExit);
        Assert.Contains("at most 365 days from its arrival", tooLong);

        Assert.Equal(0, (await CliAsync(dataDirectory, "messages", "revoke", id, "--recipient", Carol)).ExitCode);
        Assert.True(await HasContentAsync(dataDirectory, messageId)); // Dave still needs it
        var (revokeExit, revoked) = await CliAsync(dataDirectory, "messages", "revoke", id);
        Assert.Equal(0, revokeExit);
        Assert.Contains($"Revoked the copy for {Dave}", revoked);
        Assert.False(await HasContentAsync(dataDirectory, messageId));
        Assert.Equal(1, (await CliAsync(dataDirectory, "messages", "revoke", id)).ExitCode); // nothing held any more
        Assert.Equal(2, (await CliAsync(dataDirectory, "messages", "revoke", "not-a-message-id")).ExitCode);
    }

    /// <summary>
    /// <c>--recipient</c> matches as grants and accounts do (<c>PickupGrant.AddressKeyOf</c>): ASCII case ignored,
    /// everything else exact, the same on SQLite and PostgreSQL (whose <c>lower()</c> fold non-ASCII letters differently).
    /// </summary>
    [Fact]
    public async Task MessagesRevoke_OnTheCommandLine_FindsAUtf8RecipientInAnyAsciiCase_ButNotOneDifferingBeyondAscii()
    {
        const string jurgen = "JÜRGEN@plain.test";
        var dataDirectory = SecureFallbackInstance.NewDataDirectory();
        Guid messageId;
        await using (var held = await HeldAsync([jurgen], dataDirectory))
        {
            messageId = (await RecipientAsync(held.Server, jurgen)).MessageId;
        }

        var id = messageId.ToString();
        var (otherExit, other) = await CliAsync(dataDirectory, "messages", "revoke", id, "--recipient", "jürgen@plain.test");
        Assert.Equal(1, otherExit); // ü is not Ü: another mailbox, which has no copy here
        Assert.Contains("has no copy held for pickup for jürgen@plain.test", other);

        var (exit, revoked) = await CliAsync(dataDirectory, "messages", "revoke", id, "--recipient", "jÜrgen@Plain.TEST");

        Assert.Equal(0, exit);
        Assert.Contains($"Revoked the copy for {jurgen}", revoked);
        Assert.False(await HasContentAsync(dataDirectory, messageId));
    }

    [Fact]
    public async Task AdminQueue_RevokeAndExtendButtons_ChangeTheHold_AndAreAudited()
    {
        await using var held = await HeldAsync([Carol]);
        await held.Server.AddPortalUserAsync("admin@ops.test", "an admin console password", "Admin");
        using var admin = new PortalVisitor(held.Server.WebAddress);
        await admin.SignInAsync("admin@ops.test", "an admin console password");
        await admin.TurnOnAuthenticatorAsync();
        var recipient = await RecipientAsync(held.Server, Carol);
        var id = recipient.Id.ToString(CultureInfo.InvariantCulture);

        var tooLong = await PostQueueAsync(admin, "Extend", new() { ["id"] = id, ["days"] = "400" });
        Assert.Contains("at most 365 days from its arrival", tooLong);
        Assert.Contains("is now held until", await PostQueueAsync(admin, "Extend", new() { ["id"] = id, ["days"] = "3" }));
        Assert.Equal(recipient.HoldUntil + TimeSpan.FromDays(3), (await RecipientAsync(held.Server, Carol)).HoldUntil);
        Assert.Contains($"Revoked the copy for {Carol}", await PostQueueAsync(admin, "Revoke", new() { ["id"] = id }));

        Assert.Equal(RecipientStatus.Revoked, (await RecipientAsync(held.Server, Carol)).Status);
        using var trail = await admin.SendAsync(HttpMethod.Get, $"/admin/messages/{recipient.MessageId}");
        var html = await trail.Content.ReadAsStringAsync();
        Assert.Contains("admin admin@ops.test", html);
        Assert.Contains("revoke", html);
        using var csv = await admin.SendAsync(HttpMethod.Get, "/admin/audit.csv");
        Assert.Matches($"(?m)^.*{Regex.Escape(Carol)}.*,revoke,admin admin@ops.test,.*Revoked", await csv.Content.ReadAsStringAsync());
        var confirmation = (await held.Sender.WaitForMessagesAsync(2)).ElementAt(1).Parse();
        Assert.Contains("revoked by an administrator", confirmation.TextBody);
    }

    private static async Task<string> PostQueueAsync(PortalVisitor admin, string handler, Dictionary<string, string> fields)
    {
        using var form = await admin.SendAsync(HttpMethod.Get, "/admin/queue");
        fields["__RequestVerificationToken"] = PortalVisitor.TokenIn(await form.Content.ReadAsStringAsync());
        using var response = await admin.SendAsync(HttpMethod.Post, $"/admin/queue?handler={handler}", fields);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
    }

    private static async Task<string> ConfirmAsync(PortalVisitor visitor, string link)
    {
        var path = new Uri(link).PathAndQuery;
        using var form = await visitor.SendAsync(HttpMethod.Get, path);
        var html = await form.Content.ReadAsStringAsync();
        if (!html.Contains("__RequestVerificationToken", StringComparison.Ordinal))
        {
            return html;
        }

        using var done = await visitor.SendAsync(HttpMethod.Post, path, new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = PortalVisitor.TokenIn(html),
        });
        Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        return WebUtility.HtmlDecode(await done.Content.ReadAsStringAsync());
    }

    private static async Task<string> ReadAsync(PortalVisitor visitor, string path)
    {
        using var response = await visitor.SendAsync(HttpMethod.Get, path);
        return WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
    }

    private static async Task<QueuedRecipient> RecipientAsync(SecureFallbackInstance server, string address) =>
        (await server.RecipientsAsync()).Single(r => r.Address == address && r.Message!.Kind == MessageKind.Submitted);

    private static async Task<bool> HasContentAsync(string dataDirectory, Guid messageId)
    {
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>(), dataDirectory);
        await using var scope = server.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>().MessageContents.AnyAsync(c => c.MessageId == messageId);
    }

    private static Task<(int ExitCode, string Output)> CliAsync(string dataDirectory, params string[] words) =>
        CliRunner.RunAsync([.. words, .. SecureFallbackInstance.BaseArguments(dataDirectory)], "");

    /// <summary>Registers through the notice link; returns the message's path.</summary>
    private static async Task<string> RegisterAsync(PortalVisitor visitor, Held held)
    {
        var token = PickupToken().Match(held.Notices.Single().TextBody!).Groups[1].Value;
        using var form = await visitor.SendAsync(HttpMethod.Get, $"/pickup/{token}");
        using var created = await visitor.SendAsync(HttpMethod.Post, $"/pickup/{token}", new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = PortalVisitor.TokenIn(await form.Content.ReadAsStringAsync()),
            ["password"] = Password,
            ["confirm"] = Password,
        });
        Assert.Equal(HttpStatusCode.Redirect, created.StatusCode);
        using var again = await visitor.SendAsync(HttpMethod.Get, $"/pickup/{token}");
        return again.Headers.Location!.OriginalString;
    }

    private static async Task<Held> HeldAsync(string[] recipients, string? dataDirectory = null, MimeMessage? message = null, Action<IServiceCollection>? services = null)
    {
        var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        var senderServer = await TlsSmtpReceiver.StartAsync("mx.sender.test");
        var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Delivery:Routes:plain.test"] = plain.Route,
            ["SecureFallback:Delivery:Routes:sender.test"] = senderServer.Route,
            ["SecureFallback:Portal:CredentialRequestsPerMinute"] = "1000",
        }, dataDirectory, services: services);
        if (message is null)
        {
            await server.SendAsync("alice@sender.test", recipients, "Lab results", "carol-marker-body");
        }
        else
        {
            await server.SendAsync(message);
        }

        var notices = (await plain.WaitForMessagesAsync(recipients.Length)).Select(n => n.Parse()).ToList();
        var dsn = Assert.Single(await senderServer.WaitForMessagesAsync(1)).Parse();
        var text = ((TextPart)((MultipartReport)dsn.Body!)[0]).Text;
        return new Held(plain, senderServer, server, notices, text);
    }

    [GeneratedRegex(@"https?://\S+/held/revoke/[A-Za-z0-9_-]{43}")]
    private static partial Regex RevokeLink();

    [GeneratedRegex(@"https?://\S+/held/extend/[A-Za-z0-9_-]{43}")]
    private static partial Regex ExtendLink();

    [GeneratedRegex(@"/pickup/([A-Za-z0-9_-]{43})")]
    private static partial Regex PickupToken();

    private sealed record Held(ScriptedSmtpReceiver Plain, TlsSmtpReceiver Sender, SecureFallbackInstance Server, List<MimeMessage> Notices, string DsnText) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Server.DisposeAsync();
            await Sender.DisposeAsync();
            await Plain.DisposeAsync();
        }
    }
}
