using Microsoft.Playwright;
using MimeKit;
using SecureFallback.TestKit;

namespace SecureFallback.Browser.Tests;

/// <summary>
/// The recipient answers a held message in Chromium: types a reply, attaches a file, sends it; the thread shows it,
/// the sender's server receives it over TLS as a threaded reply with the file, and the thread then says delivered.
/// </summary>
[Collection(ChromiumCollection.Name)]
public sealed class ReplyFlowTests(ChromiumFixture chromium)
{
    private const string ReplyMarker = "browser-reply-marker-5521";

    [Fact]
    public async Task Recipient_RepliesWithAnAttachment_TheSenderReceivesAThreadedReply_AndTheThreadShowsItDelivered()
    {
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var senderServer = await TlsSmtpReceiver.StartAsync("mx.sender.test");
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Delivery:Routes:plain.test"] = plain.Route,
            ["SecureFallback:Delivery:Routes:sender.test"] = senderServer.Route,
            ["SecureFallback:Notices:From"] = "secure-reply@portal.test",
        });
        var original = new MimeMessage();
        original.From.Add(new MailboxAddress("Alice Example", "alice@sender.test"));
        original.To.Add(MailboxAddress.Parse("carol@plain.test"));
        original.Subject = "Lab results";
        original.MessageId = "original-browser-31@sender.test";
        original.Body = new TextPart("plain") { Text = "Please confirm the appointment." };
        await server.SendAsync(original);
        var token = PortalSteps.TokenIn(await plain.WaitForMessageAsync());
        await senderServer.WaitForMessagesAsync(1); // the "held" DSN

        await using var context = await chromium.NewContextAsync();
        var page = await context.NewPageAsync();
        await PortalSteps.RegisterThroughLinkAsync(page, server, token);
        await page.GetByRole(AriaRole.Link, new PageGetByRoleOptions { Name = "Lab results" }).ClickAsync();
        await page.WaitForAddressAsync("**/messages/**");
        Assert.Contains("You have not replied to this message.", await page.InnerTextAsync("main"));

        var fileBytes = System.Text.Encoding.ASCII.GetBytes("%PDF-1.4 signed consent form");
        await page.GetByLabel("Your reply").FillAsync($"Confirmed, form attached. {ReplyMarker}");
        await page.GetByLabel("Attachments").SetInputFilesAsync(new FilePayload { Name = "consent.pdf", MimeType = "application/pdf", Buffer = fileBytes });
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Send the reply" }).ClickAsync();
        await page.WaitForAddressAsync("**/messages/**?replied=true*");
        await page.Locator(".thread li").WaitForAsync();
        Assert.Contains("Your reply was stored encrypted and is being sent securely.", await page.InnerTextAsync(".notice"));
        Assert.Contains("to alice@sender.test", await page.InnerTextAsync(".thread li"));

        var received = await ReplyAtAsync(senderServer);
        Assert.True(received.OverTls);
        Assert.Equal(["alice@sender.test"], received.To);
        var reply = received.Parse();
        Assert.Equal(original.MessageId, reply.InReplyTo);
        Assert.Equal("Re: Lab results", reply.Subject);
        Assert.Equal("carol@plain.test", reply.ReplyTo.Mailboxes.Single().Address);
        Assert.Contains(ReplyMarker, reply.TextBody, StringComparison.Ordinal);
        var file = Assert.IsAssignableFrom<MimePart>(Assert.Single(reply.Attachments));
        Assert.Equal("consent.pdf", file.FileName);
        using var decoded = new MemoryStream();
        await file.Content!.DecodeToAsync(decoded);
        Assert.Equal(fileBytes, decoded.ToArray());

        Assert.Equal("delivered", await ReplyStateAfterReloadsAsync(page));
    }

    /// <summary>The sender's server's copy of the reply (the held DSN and the read receipt arrive there too).</summary>
    private static async Task<ReceivedMessage> ReplyAtAsync(TlsSmtpReceiver sender)
    {
        for (var count = 1; count <= 5; count++)
        {
            var messages = await sender.WaitForMessagesAsync(count);
            if (messages.SingleOrDefault(m => m.Text.Contains("via secure portal", StringComparison.Ordinal)) is { } reply)
            {
                return reply;
            }
        }

        throw new InvalidOperationException("the reply never reached the sender's server");
    }

    /// <summary>Reloads the message page until the reply's state is no longer <c>queued</c>, at most 30 times.</summary>
    internal static async Task<string> ReplyStateAfterReloadsAsync(IPage page)
    {
        var state = "";
        for (var attempt = 0; attempt < 30; attempt++)
        {
            await page.ReloadAsync(new PageReloadOptions { WaitUntil = WaitUntilState.Commit });
            state = await page.InnerTextAsync(".thread .reply-state");
            if (state != "queued")
            {
                return state;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500));
        }

        return state;
    }
}
