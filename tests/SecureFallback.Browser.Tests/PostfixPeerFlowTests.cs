using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using MimeKit;
using MimeKit.Cryptography;
using SecureFallback.Core.Messages;
using SecureFallback.Data;
using SecureFallback.Data.Content;
using SecureFallback.TestKit;

namespace SecureFallback.Browser.Tests;

/// <summary>
/// Issue 15 in Chromium against real peers: private Postfix instances (<see cref="PrivatePostfix"/>) are the
/// recipient's server (no STARTTLS, so messages are held) and the sender's (STARTTLS), and what they delivered into
/// their maildirs is what the tests read.
/// </summary>
[Collection(ChromiumCollection.Name)]
public sealed partial class PostfixPeerFlowTests(ChromiumFixture chromium)
{
    private const string Marker = "postfix-browser-body-marker-7731";

    [Fact]
    public async Task Reply_WithAnAttachmentInChromium_ArrivesAtTheSendersPostfixOverTls_ThreadedAndWithADkimSignatureThatVerifies()
    {
        using var rsa = RSA.Create(2048);
        var keyPath = Path.Combine(SecureFallbackInstance.NewDataDirectory(), "dkim.pem");
        await File.WriteAllTextAsync(keyPath, new string(PemEncoding.Write("RSA PRIVATE KEY", rsa.ExportRSAPrivateKey())));
        await using var dns = new TestDnsServer(); // where the sender's verifier finds the key, as the README says to publish it
        dns.Txt("sf2026._domainkey.portal.test", $"v=DKIM1; k=rsa; p={Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo())}");
        await using var plain = await PrivatePostfix.StartAsync("mx.plain.test", offerStartTls: false);
        await using var sender = await PrivatePostfix.StartAsync("mx.sender.test");
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Delivery:Routes:plain.test"] = plain.Route,
            ["SecureFallback:Delivery:Routes:sender.test"] = sender.Route,
            ["SecureFallback:Notices:From"] = "secure-reply@portal.test",
            ["SecureFallback:Notices:DkimKeyPath"] = keyPath,
            ["SecureFallback:Notices:DkimSelector"] = "sf2026",
        });
        var original = new MimeMessage();
        original.From.Add(new MailboxAddress("Alice Example", "alice@sender.test"));
        original.To.Add(MailboxAddress.Parse("carol@plain.test"));
        original.Subject = "Lab results";
        original.MessageId = "original-postfix-41@sender.test";
        original.Body = new TextPart("plain") { Text = $"Please confirm the appointment. {Marker}" };
        await server.SendAsync(original);
        var token = PortalSteps.TokenIn(Assert.Single(await plain.WaitForMessagesAsync(1)));

        await using var context = await chromium.NewContextAsync();
        var page = await context.NewPageAsync();
        await PortalSteps.RegisterThroughLinkAsync(page, server, token);
        await PortalSteps.OpenMessageAsync(page, "Lab results");
        var fileBytes = RandomNumberGenerator.GetBytes(3000); // binary: every byte must survive the trip
        await page.GetByLabel("Your reply").FillAsync("Confirmed, the signed form is attached.");
        await page.GetByLabel("Attachments").SetInputFilesAsync(new FilePayload { Name = "consent.pdf", MimeType = "application/pdf", Buffer = fileBytes });
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Send the reply" }).ClickAsync();
        await page.WaitForAddressAsync("**/messages/**?replied=true*");

        var reply = await ReplyAtAsync(sender);
        var received = reply.Headers[HeaderId.Received]; // the sender's Postfix's own, on top
        Assert.Contains("(using TLSv1.", received, StringComparison.Ordinal);
        Assert.Contains("with ESMTPS", received, StringComparison.Ordinal);
        Assert.Equal("<secure-reply@portal.test>", reply.Headers[HeaderId.ReturnPath]);
        Assert.Equal("alice@sender.test", reply.To.Mailboxes.Single().Address);
        Assert.Equal(original.MessageId, reply.InReplyTo);
        Assert.Contains(original.MessageId, reply.References);
        Assert.Equal("Re: Lab results", reply.Subject);
        Assert.Equal("carol@plain.test", reply.ReplyTo.Mailboxes.Single().Address);
        var file = Assert.IsAssignableFrom<MimePart>(Assert.Single(reply.Attachments));
        Assert.Equal("consent.pdf", file.FileName);
        using var decoded = new MemoryStream();
        await file.Content!.DecodeToAsync(decoded);
        Assert.Equal(fileBytes, decoded.ToArray());
        var signature = Assert.Single(reply.Headers, h => h.Id == HeaderId.DkimSignature);
        Assert.Contains("d=portal.test", signature.Value, StringComparison.Ordinal);
        Assert.True(await new DkimVerifier(new DnsDkimKeyLocator(dns.EndPoint)).VerifyAsync(reply, signature));
        Assert.Equal("delivered", await ReplyFlowTests.ReplyStateAfterReloadsAsync(page));
    }

    [Fact]
    public async Task SendersRevokeLink_FromTheHeldDsnInItsPostfix_UsedInChromium_ShredsTheKey_AndTheRecipientSeesRevoked()
    {
        await using var plain = await PrivatePostfix.StartAsync("mx.plain.test", offerStartTls: false);
        await using var sender = await PrivatePostfix.StartAsync("mx.sender.test");
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Delivery:Routes:plain.test"] = plain.Route,
            ["SecureFallback:Delivery:Routes:sender.test"] = sender.Route,
        });
        await server.SendAsync("alice@sender.test", ["carol@plain.test"], "Contract", Marker);
        var dsn = Assert.Single(await sender.WaitForMessagesAsync(1)); // the held DSN, as it lies in the sender's maildir
        var revokeLink = RevokeLink().Match(((TextPart)((MultipartReport)dsn.Body!)[0]).Text).Value;
        var messageId = (await server.RecipientsAsync()).Single(r => r.Address == "carol@plain.test" && r.Message!.Kind == MessageKind.Submitted).MessageId;
        Assert.NotEmpty(Assert.Single(await WrappedKeysAsync(server, messageId)));

        await using var context = await chromium.NewContextAsync();
        var page = await context.NewPageAsync();
        await PortalSteps.RegisterThroughLinkAsync(page, server, PortalSteps.TokenIn(Assert.Single(await plain.WaitForMessagesAsync(1))));
        var messageUrl = await PortalSteps.OpenMessageAsync(page, "Contract");
        Assert.Contains(Marker, await page.ContentAsync());

        Assert.Contains("is revoked", await PortalSteps.RevokeAsSenderAsync(chromium, server, revokeLink));

        await page.GotoAsync(messageUrl);
        Assert.Contains("Revoked by the sender on", await page.InnerTextAsync("main"));
        Assert.DoesNotContain(Marker, await page.ContentAsync());
        Assert.Empty(await WrappedKeysAsync(server, messageId)); // the data key's row (MessageContents.WrappedKey) is gone
        await using var scope = server.Services.CreateAsyncScope();
        Assert.Null(await scope.ServiceProvider.GetRequiredService<ISealedContentReader>().OpenAsync(messageId, CancellationToken.None));
        Assert.Equal(RecipientStatus.Revoked, (await server.RecipientsAsync()).Single(r => r.Address == "carol@plain.test" && r.Message!.Kind == MessageKind.Submitted).Status);
    }

    /// <summary>The wrapped data keys stored for <paramref name="messageId"/> (one row while its content is kept).</summary>
    private static async Task<List<byte[]>> WrappedKeysAsync(SecureFallbackInstance server, Guid messageId)
    {
        await using var scope = server.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
        return await db.MessageContents.AsNoTracking().Where(c => c.MessageId == messageId).Select(c => c.WrappedKey).ToListAsync();
    }

    /// <summary>The reply among what the sender's Postfix delivered (the held DSN and the read receipt arrive there too).</summary>
    private static async Task<MimeMessage> ReplyAtAsync(PrivatePostfix sender)
    {
        for (var count = 1; count <= 3; count++)
        {
            if ((await sender.WaitForMessagesAsync(count)).SingleOrDefault(m => m.From.ToString().Contains("via secure portal", StringComparison.Ordinal)) is { } reply)
            {
                return reply;
            }
        }

        throw new InvalidOperationException("the reply never reached the sender's Postfix");
    }

    [GeneratedRegex(@"https?://\S+/held/revoke/[A-Za-z0-9_-]{43}")]
    private static partial Regex RevokeLink();
}
