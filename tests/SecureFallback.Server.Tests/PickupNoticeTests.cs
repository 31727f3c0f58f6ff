using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using MimeKit;
using SecureFallback.Core.Messages;
using SecureFallback.Data;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

public sealed class PickupNoticeTests
{
    [Fact]
    public async Task Hold_SendsTheRecipientANoticeWithoutContent_WithAReferenceCodeAndASingleUseLink()
    {
        const string marker = "notice-body-marker-8812";
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var senderServer = await TlsSmtpReceiver.StartAsync("mx.sender.test");
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Delivery:Routes:plain.test"] = plain.Route,
            ["SecureFallback:Delivery:Routes:sender.test"] = senderServer.Route,
            ["SecureFallback:Portal:PublicUrl"] = "https://secure.example.org",
            ["SecureFallback:Branding:OrganizationName"] = "Example Health",
        });
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Alice Example", "alice@sender.test"));
        message.To.Add(MailboxAddress.Parse("carol@plain.test"));
        message.Subject = "Confidential diagnosis";
        message.Body = new TextPart("plain") { Text = marker };

        await server.SendAsync(message);

        var parsed = await plain.WaitForMessageAsync();
        Assert.Equal("Alice Example sent you a message through Example Health's secure delivery", parsed.Subject);
        Assert.Equal("auto-generated", parsed.Headers["Auto-Submitted"]);
        Assert.NotNull(parsed.HtmlBody);
        var notice = parsed.TextBody + parsed.HtmlBody;
        Assert.Contains("alice@sender.test", notice);
        Assert.Contains("https://secure.example.org/", notice);
        Assert.DoesNotContain(marker, notice);
        Assert.DoesNotContain("Confidential diagnosis", notice);
        Assert.DoesNotContain("click here", notice, StringComparison.OrdinalIgnoreCase);

        var grant = await SingleGrantAsync(server);
        Assert.Matches("^[A-HJ-NP-Z2-9]{3}-[A-HJ-NP-Z2-9]{3}-[A-HJ-NP-Z2-9]{3}$", grant.ReferenceCode);
        Assert.Contains(grant.ReferenceCode, notice);
        var token = System.Text.RegularExpressions.Regex.Match(notice, @"https://secure\.example\.org/pickup/([A-Za-z0-9_-]{43})").Groups[1].Value;
        Assert.Equal(43, token.Length); // 256 bits, base64url
        Assert.Equal(SecureFallback.Core.Pickup.PickupGrant.HashToken(token), grant.TokenHash);
        Assert.Equal("carol@plain.test", grant.Address);
        await DeliveryTests.GrepDataDirectoryAsync(server.DataDirectory, token); // stored only hashed (and inside the sealed notice)
    }

    [Fact]
    public async Task Notice_OfAMessageThatNeedsAPin_CarriesNoSubject_EvenWithIncludeSubject()
    {
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var senderServer = await TlsSmtpReceiver.StartAsync("mx.sender.test");
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Delivery:Routes:plain.test"] = plain.Route,
            ["SecureFallback:Delivery:Routes:pin.plain.test"] = plain.Route,
            ["SecureFallback:Delivery:Routes:sender.test"] = senderServer.Route,
            ["SecureFallback:Notices:IncludeSubject"] = "true",
            ["SecureFallback:Policies:pin.plain.test:PickupPin"] = "true",
        });

        await server.SendAsync("alice@sender.test", ["dave@pin.plain.test"], "Confidential diagnosis", "held body");
        await server.SendAsync("alice@sender.test", ["carol@plain.test"], "Quarterly figures", "held body");

        var notices = (await plain.WaitForMessagesAsync(2)).Select(n => n.Parse()).ToList();
        var pinNotice = notices.Single(n => n.To.Mailboxes.Single().Address == "dave@pin.plain.test");
        var plainNotice = notices.Single(n => n.To.Mailboxes.Single().Address == "carol@plain.test");
        Assert.Contains("phone or text message", pinNotice.TextBody);
        Assert.DoesNotContain("Confidential diagnosis", pinNotice.TextBody + pinNotice.HtmlBody + pinNotice.Subject);
        Assert.Contains("Quarterly figures", plainNotice.TextBody); // the setting still works without a PIN
    }

    [Fact]
    public async Task Notice_WithADkimKeyConfigured_CarriesASignatureThatVerifies()
    {
        using var key = new TestDkimKey();
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Delivery:Routes:plain.test"] = plain.Route,
            ["SecureFallback:Notices:From"] = "notices@example.org",
            ["SecureFallback:Notices:DkimKeyPath"] = key.KeyPath,
            ["SecureFallback:Notices:DkimSelector"] = "sf2026",
        });

        await server.SendAsync("alice@sender.test", ["carol@plain.test"], "Hello", "body");

        var notice = await plain.WaitForMessageAsync();
        var signature = Assert.Single(notice.Headers, h => h.Id == HeaderId.DkimSignature);
        Assert.Contains("d=example.org", signature.Value);
        Assert.Contains("s=sf2026", signature.Value);
        Assert.True(await key.VerifiesAsync(notice, signature));
        notice.Subject += " (changed)";
        Assert.False(await key.VerifiesAsync(notice, signature));
    }

    private static async Task<SecureFallback.Core.Pickup.PickupGrant> SingleGrantAsync(SecureFallbackInstance server)
    {
        await using var scope = server.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
        return await db.PickupGrants.SingleAsync();
    }
}

public sealed class PortalKeyTests
{
    [Fact]
    [Trait("Database", "SqliteOnly")] // reads key files or the SQLite file itself
    public async Task PortalCookieKeys_AreSealedByTheMasterKeyRing_AndStillOpenAfterARestart()
    {
        var dataDirectory = SecureFallbackInstance.NewDataDirectory();
        string sealedTicket;
        await using (var first = await SecureFallbackInstance.StartAsync(dataDirectory: dataDirectory))
        {
            using var http = new HttpClient { BaseAddress = first.WebAddress };
            Assert.Equal(System.Net.HttpStatusCode.OK, (await http.GetAsync("/login")).StatusCode); // issues an anti-forgery token: a key exists
            sealedTicket = first.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("test").Protect("still mine");
        }

        var keyFiles = Directory.GetFiles(Path.Combine(dataDirectory, "dataprotection"), "*.xml");
        Assert.NotEmpty(keyFiles);
        foreach (var file in keyFiles)
        {
            var xml = await File.ReadAllTextAsync(file);
            Assert.Contains("sealedByMasterKey", xml);
            Assert.DoesNotContain("<value>", xml, StringComparison.Ordinal); // Data Protection's own plaintext key element
        }

        await using var second = await SecureFallbackInstance.StartAsync(dataDirectory: dataDirectory);
        Assert.Equal("still mine", second.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("test").Unprotect(sealedTicket));
    }
}
