using System.Net;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using SecureFallback.Data;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

/// <summary>
/// The sender learns who opened the held copy: when, from which network, with which browser family, and whether the
/// account was created for this message; a reading from another network is reported again (boundedly); and the
/// owner who finds their account made by someone else can lock it ("this was not me").
/// </summary>
public sealed partial class ReadReceiptDetailsTests
{
    private const string Password = "a long portal password";
    private const string Firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
    private const string Chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

    [Fact]
    public async Task ReadReceipt_SaysWhenFromWhichNetworkAndBrowser_AndThatTheAccountWasCreatedForThisMessage()
    {
        await using var held = await HeldAsync();
        using var carol = new PortalVisitor(held.Server.WebAddress, forwardedFor: "203.0.113.45", userAgent: Firefox);

        await RegisterAsync(carol, held.Tokens[0]);
        await ReadFirstMessageAsync(carol);

        var mdn = await MailAsync(held, m => m.Body is MultipartReport { ReportType: "disposition-notification" });
        var text = mdn.TextBody!;
        Assert.Matches(@"opened at the secure portal on \w+, \w+ \d{1,2}, \d{4} \d{1,2}:\d{2}\s[AP]M UTC", text); // the reader's culture, the zone named
        Assert.Contains("Network: 203.0.113.0/24", text);
        Assert.Contains("Browser: Firefox", text);
        Assert.Contains("Account created for this message: yes", text);
        Assert.DoesNotContain("203.0.113.45", text); // the network, never the reader's own address
    }

    [Fact]
    public async Task ReadReceipt_OfAnAccountCreatedEarlier_SaysNo()
    {
        await using var held = await HeldAsync();
        await held.Server.AddPortalUserAsync("carol@plain.test", Password);
        using var carol = new PortalVisitor(held.Server.WebAddress, forwardedFor: "2001:db8:7:8::99", userAgent: Chrome);

        await carol.SignInAsync("carol@plain.test", Password);
        await ReadFirstMessageAsync(carol);

        var text = (await MailAsync(held, m => m.Body is MultipartReport { ReportType: "disposition-notification" })).TextBody!;
        Assert.Contains("Network: 2001:db8:7:8::/64", text);
        Assert.Contains("Browser: Chrome", text);
        Assert.Contains("Account created for this message: no", text);
    }

    [Fact]
    public async Task OpeningAgain_FromAnotherNetwork_TellsTheSenderOnce_AndAgainFromThatNetworkTellsNothing()
    {
        await using var held = await HeldAsync();
        using (var first = new PortalVisitor(held.Server.WebAddress, forwardedFor: "203.0.113.45", userAgent: Firefox))
        {
            await RegisterAsync(first, held.Tokens[0]);
            await ReadFirstMessageAsync(first);
        }

        await MailAsync(held, m => m.Body is MultipartReport { ReportType: "disposition-notification" });
        var before = held.Sender.Messages.Count;

        using (var elsewhere = new PortalVisitor(held.Server.WebAddress, forwardedFor: "198.51.100.7", userAgent: Chrome))
        {
            await elsewhere.SignInAsync("carol@plain.test", Password);
            await ReadFirstMessageAsync(elsewhere);
        }

        var again = await MailAsync(held, m => (m.Subject ?? "").StartsWith("Opened again from another network", StringComparison.Ordinal));
        Assert.Contains("Network: 198.51.100.0/24", again.TextBody);
        Assert.Contains("Browser: Chrome", again.TextBody);
        Assert.Contains("203.0.113.0/24", again.TextBody); // and where it was first opened

        using (var sameNetwork = new PortalVisitor(held.Server.WebAddress, forwardedFor: "198.51.100.99", userAgent: Chrome))
        {
            await sameNetwork.SignInAsync("carol@plain.test", Password);
            await ReadFirstMessageAsync(sameNetwork);
        }

        await held.Server.WaitForIdleQueueAsync();
        Assert.Equal(before + 1, held.Sender.Messages.Count);
    }

    [Fact]
    public async Task NotMe_LocksTheAccountAndItsMessages_EndsTheOtherSession_AndTellsEachSenderAndTheAdmins()
    {
        await using var held = await HeldAsync(("bob@other.test", "Second one"));
        await held.Server.AddPortalUserAsync("admin@ops.test", "an admin password 123", "Admin");
        using var attacker = new PortalVisitor(held.Server.WebAddress, forwardedFor: "198.51.100.7", userAgent: Chrome);
        await RegisterAsync(attacker, held.Tokens[0]);
        var messagePath = await ReadFirstMessageAsync(attacker);

        using var owner = new PortalVisitor(held.Server.WebAddress, forwardedFor: "203.0.113.45", userAgent: Firefox);
        using var offer = await owner.SendAsync(HttpMethod.Get, $"/pickup/{held.Tokens[0]}");
        Assert.Equal(HttpStatusCode.OK, offer.StatusCode);
        var html = await offer.Content.ReadAsStringAsync();
        Assert.Contains("href=\"/login?ReturnUrl=%2Fmessages%2F", html);
        Assert.Contains("I did not create this account", html);
        using var disowned = await owner.SendAsync(HttpMethod.Post, $"/pickup/{held.Tokens[0]}?handler=NotMe", new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = PortalVisitor.TokenIn(html),
        });
        Assert.Equal(HttpStatusCode.OK, disowned.StatusCode);
        Assert.Contains("locked", await disowned.Content.ReadAsStringAsync());

        using (var dead = await attacker.SendAsync(HttpMethod.Get, messagePath))
        {
            Assert.Equal(HttpStatusCode.Redirect, dead.StatusCode); // the session ended with the lock
            Assert.Equal("/login", dead.Headers.Location!.AbsolutePath);
        }

        using var again = new PortalVisitor(held.Server.WebAddress);
        await Assert.ThrowsAsync<InvalidOperationException>(() => again.SignInAsync("carol@plain.test", Password));
        await using (var scope = held.Server.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
            var carols = await db.Recipients.Where(r => r.Address == "carol@plain.test" && r.Message!.Kind == SecureFallback.Core.Messages.MessageKind.Submitted).ToListAsync();
            Assert.Equal(2, carols.Count);
            Assert.All(carols, r => Assert.NotNull(r.PickupLockedAt));
        }

        var toAlice = await MailAsync(held, m => m.To.Mailboxes.Single().Address == "alice@sender.test" && (m.Subject ?? "").StartsWith("Locked", StringComparison.Ordinal));
        var toBob = await MailAsync(held, m => m.To.Mailboxes.Single().Address == "bob@other.test" && (m.Subject ?? "").StartsWith("Locked", StringComparison.Ordinal));
        var toAdmin = await MailAsync(held, m => m.To.Mailboxes.Any(a => a.Address == "admin@ops.test"));
        Assert.Contains("carol@plain.test", toAlice.TextBody);
        Assert.Contains("198.51.100.0/24", toAlice.TextBody); // where the message was opened, by whoever did
        Assert.Contains("carol@plain.test", toBob.TextBody);
        Assert.Contains("carol@plain.test", toAdmin.TextBody);
        Assert.DoesNotContain("held body", toAlice.TextBody + toBob.TextBody + toAdmin.TextBody);
    }

    private static async Task RegisterAsync(PortalVisitor visitor, string token)
    {
        using var form = await visitor.SendAsync(HttpMethod.Get, $"/pickup/{token}");
        using var created = await visitor.SendAsync(HttpMethod.Post, $"/pickup/{token}", new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = PortalVisitor.TokenIn(await form.Content.ReadAsStringAsync()),
            ["password"] = Password,
            ["confirm"] = Password,
        });
        Assert.Equal(HttpStatusCode.Redirect, created.StatusCode);
    }

    /// <summary>Opens the first message in the inbox; returns its path.</summary>
    private static async Task<string> ReadFirstMessageAsync(PortalVisitor visitor)
    {
        using var inbox = await visitor.SendAsync(HttpMethod.Get, "/inbox");
        var path = MessageLink().Matches(await inbox.Content.ReadAsStringAsync()).Last().Value;
        using var message = await visitor.SendAsync(HttpMethod.Get, path);
        Assert.Contains("held body", await message.Content.ReadAsStringAsync());
        return path;
    }

    /// <summary>Waits (30 s at most) for a mail at the senders' and admins' receiver that matches.</summary>
    private static async Task<MimeMessage> MailAsync(Held held, Func<MimeMessage, bool> match)
    {
        for (var i = 0; i < 300; i++)
        {
            if (held.Sender.Messages.Select(m => m.Parse()).FirstOrDefault(match) is { } found)
            {
                return found;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"No such mail among {held.Sender.Messages.Count}: {string.Join(" | ", held.Sender.Messages.Select(m => m.Parse().Subject))}");
    }

    private static async Task<Held> HeldAsync(params (string From, string Subject)[] more)
    {
        var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        var sender = await TlsSmtpReceiver.StartAsync("mx.sender.test");
        var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Delivery:Routes:plain.test"] = plain.Route,
            ["SecureFallback:Delivery:Routes:sender.test"] = sender.Route,
            ["SecureFallback:Delivery:Routes:other.test"] = sender.Route,
            ["SecureFallback:Delivery:Routes:ops.test"] = sender.Route,
        });
        var messages = new[] { ("alice@sender.test", "For Carol") }.Concat(more).ToList();
        foreach (var (from, subject) in messages)
        {
            await server.SendAsync(from, ["carol@plain.test"], subject, "held body");
        }

        var notices = await plain.WaitForMessagesAsync(messages.Count);
        await sender.WaitForMessagesAsync(messages.Count); // the "held" DSNs
        var tokens = notices.Select(n => TokenInLink().Match(n.Parse().TextBody!).Groups[1].Value).ToList(); // all carol's
        return new Held(plain, sender, server, tokens);
    }

    private sealed record Held(ScriptedSmtpReceiver Plain, TlsSmtpReceiver Sender, SecureFallbackInstance Server, List<string> Tokens) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Server.DisposeAsync();
            await Sender.DisposeAsync();
            await Plain.DisposeAsync();
        }
    }

    [GeneratedRegex(@"/pickup/([A-Za-z0-9_-]{43})")]
    private static partial Regex TokenInLink();

    [GeneratedRegex(@"/messages/[0-9a-f-]{36}")]
    private static partial Regex MessageLink();
}
