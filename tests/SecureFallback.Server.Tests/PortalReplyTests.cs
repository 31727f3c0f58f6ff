using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using SecureFallback.Core.Messages;
using SecureFallback.Data;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

/// <summary>
/// A recipient answers a held message from the portal: the reply is sealed like any message, goes to the sender's
/// domain only over TLS, threads on the original, passes DMARC by From rewriting and the notices' DKIM key.
/// </summary>
public sealed partial class PortalReplyTests
{
    private const string Password = "a long portal password";
    private const string ReplyMarker = "reply-body-marker-8830";
    private const string FileMarker = "reply-attachment-marker-4417";

    [Fact]
    public async Task Reply_WithAnAttachment_IsStoredSealed_AndArrivesOverTlsAsASignedThreadedReply()
    {
        using var key = new TestDkimKey();
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var sender = await TlsSmtpReceiver.StartAsync("mx.sender.test");
        await using var server = await SecureFallbackInstance.StartAsync(Settings(plain.Route, sender.Route, new()
        {
            ["SecureFallback:Notices:DkimKeyPath"] = key.KeyPath,
            ["SecureFallback:Notices:DkimSelector"] = "sf2026",
        }));
        var original = await HeldOriginalAsync(server, plain);
        await sender.WaitForMessagesAsync(1); // the held DSN
        using var carol = new PortalVisitor(server.WebAddress);
        var page = await RegisterAsync(carol, plain);

        using var posted = await PostReplyAsync(carol, page, $"Thanks, results attached. {ReplyMarker}", FileMarker);

        Assert.Equal(HttpStatusCode.Redirect, posted.StatusCode);
        var received = await ReplyAtAsync(sender);
        Assert.True(received.OverTls);
        var reply = received.Parse();
        Assert.Equal(original.MessageId, reply.InReplyTo);
        Assert.Equal(original.MessageId, Assert.Single(reply.References));
        Assert.Equal("Re: Lab results", reply.Subject);
        Assert.Equal("carol@plain.test via secure portal", reply.From.Mailboxes.Single().Name);
        Assert.Equal("secure-reply@portal.test", reply.From.Mailboxes.Single().Address);
        Assert.Equal("carol@plain.test", reply.ReplyTo.Mailboxes.Single().Address);
        Assert.Equal(["alice@sender.test"], received.To);
        Assert.Contains(ReplyMarker, reply.TextBody, StringComparison.Ordinal);
        Assert.Contains("> original-body-marker", reply.TextBody, StringComparison.Ordinal);
        var file = Assert.IsAssignableFrom<MimePart>(Assert.Single(reply.Attachments));
        Assert.Equal("results.txt", file.FileName);
        using var decoded = new MemoryStream();
        await file.Content!.DecodeToAsync(decoded);
        Assert.Contains(FileMarker, System.Text.Encoding.UTF8.GetString(decoded.ToArray()), StringComparison.Ordinal);
        var signature = Assert.Single(reply.Headers, h => h.Id == HeaderId.DkimSignature);
        Assert.Contains("d=portal.test", signature.Value, StringComparison.Ordinal);
        Assert.True(await key.VerifiesAsync(reply, signature));

        var stored = await ReplyRowAsync(server);
        Assert.Equal(MessageKind.PortalReply, stored.Kind);
        Assert.Equal("secure-reply@portal.test", stored.EnvelopeFrom); // not <>: a person wrote it
        await DeliveryTests.GrepDataDirectoryAsync(server.DataDirectory, ReplyMarker);
        await DeliveryTests.GrepDataDirectoryAsync(server.DataDirectory, FileMarker);
        await server.WaitForRecipientsAsync(r => r.Any(x => x.Message!.Kind == MessageKind.PortalReply && x.Status == RecipientStatus.Delivered));
        var thread = await ReadAsync(carol, page);
        Assert.Matches("to alice@sender.test: <strong class=\"reply-state\">delivered</strong>", thread);
    }

    [Fact]
    public async Task Reply_ToASenderWithoutStartTls_IsNeverSentInClear_EvenUnderDeliverPlain_AndThePortalShowsItWaiting()
    {
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var sender = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var server = await SecureFallbackInstance.StartAsync(Settings(plain.Route, sender.Route, new()
        {
            ["SecureFallback:Policies:sender.test:OnFailure"] = "deliver-plain",
        }));
        await HeldOriginalAsync(server, plain);
        using var carol = new PortalVisitor(server.WebAddress);
        var page = await RegisterAsync(carol, plain);

        using var posted = await PostReplyAsync(carol, page, $"Call me. {ReplyMarker}", FileMarker);

        Assert.Equal(HttpStatusCode.Redirect, posted.StatusCode);
        var recipients = await server.WaitForRecipientsAsync(r => r.Any(x => x.Message!.Kind == MessageKind.PortalReply && x.AttemptCount >= 2));
        var waiting = recipients.Single(x => x.Message!.Kind == MessageKind.PortalReply);
        Assert.Equal(RecipientStatus.Queued, waiting.Status);
        Assert.False(waiting.DeliveredInClear);
        Assert.DoesNotContain(sender.Messages, m => m.Text.Contains("via secure portal", StringComparison.Ordinal));
        Assert.DoesNotContain(sender.Lines, l => l.Contains(ReplyMarker, StringComparison.Ordinal) || l.Contains("via secure portal", StringComparison.Ordinal));
        await using (var scope = server.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
            Assert.True(await db.MessageContents.AnyAsync(c => c.MessageId == waiting.MessageId));
        }

        await DeliveryTests.GrepDataDirectoryAsync(server.DataDirectory, ReplyMarker);
        var thread = await ReadAsync(carol, page);
        Assert.Contains("<strong class=\"reply-state\">queued</strong>", thread, StringComparison.Ordinal);
        Assert.Contains("offered no secure connection yet", thread, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replies_WhenOff_ShowNoFormAndRefuseThePost()
    {
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var sender = await TlsSmtpReceiver.StartAsync("mx.sender.test");
        await using var server = await SecureFallbackInstance.StartAsync(Settings(plain.Route, sender.Route, new() { ["SecureFallback:Portal:Replies"] = "off" }));
        await HeldOriginalAsync(server, plain);
        using var carol = new PortalVisitor(server.WebAddress);
        var page = await RegisterAsync(carol, plain);

        var html = await ReadAsync(carol, page);
        using var posted = await PostReplyAsync(carol, page, ReplyMarker, null);

        Assert.Contains("original-body-marker", html, StringComparison.Ordinal);
        Assert.DoesNotContain("handler=reply", html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, posted.StatusCode);
        Assert.Null(await ReplyRowOrNullAsync(server));
    }

    [Fact]
    public async Task Reply_ToAMessageStillWaitingForItsPin_IsRefused()
    {
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var sender = await TlsSmtpReceiver.StartAsync("mx.sender.test");
        await using var server = await SecureFallbackInstance.StartAsync(Settings(plain.Route, sender.Route, new() { ["SecureFallback:Policies:plain.test:PickupPin"] = "true" }));
        await HeldOriginalAsync(server, plain);
        using var carol = new PortalVisitor(server.WebAddress);
        var page = await RegisterAsync(carol, plain);

        using var posted = await PostReplyAsync(carol, page, ReplyMarker, FileMarker);

        Assert.Equal(HttpStatusCode.Redirect, posted.StatusCode);
        Assert.Equal(page, posted.Headers.Location!.OriginalString); // back to the PIN page, nothing queued
        Assert.Null(await ReplyRowOrNullAsync(server));
    }

    [Fact]
    public async Task Reply_TooLargeOrTooOften_IsRefusedWithAClearPage_AndNothingIsQueued()
    {
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var sender = await TlsSmtpReceiver.StartAsync("mx.sender.test");
        await using var server = await SecureFallbackInstance.StartAsync(Settings(plain.Route, sender.Route, new()
        {
            ["SecureFallback:Portal:ReplyMaxBytes"] = "2048",
            ["SecureFallback:Portal:RepliesPerHour"] = "1",
        }));
        await HeldOriginalAsync(server, plain);
        using var carol = new PortalVisitor(server.WebAddress);
        var page = await RegisterAsync(carol, plain);

        using var overLimit = await PostReplyAsync(carol, page, "see file", new string('x', 10_000));
        using var farOverLimit = await PostReplyAsync(carol, page, "see file", new string('x', 400_000));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, overLimit.StatusCode);
        Assert.Contains("Your reply is too large", await overLimit.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, farOverLimit.StatusCode);
        Assert.Contains("Your reply is too large", await farOverLimit.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Null(await ReplyRowOrNullAsync(server));

        using var first = await PostReplyAsync(carol, page, "first", null);
        using var second = await PostReplyAsync(carol, page, "second", null);

        Assert.Equal(HttpStatusCode.Redirect, first.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.Contains("as many replies as allowed", await second.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    internal static Dictionary<string, string> Settings(string plainRoute, string senderRoute, Dictionary<string, string> extra)
    {
        var settings = new Dictionary<string, string>
        {
            ["SecureFallback:Delivery:Routes:plain.test"] = plainRoute,
            ["SecureFallback:Delivery:Routes:sender.test"] = senderRoute,
            ["SecureFallback:Notices:From"] = "secure-reply@portal.test",
            ["SecureFallback:Portal:CredentialRequestsPerMinute"] = "1000",
        };
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }

        return settings;
    }

    private static async Task<MimeMessage> HeldOriginalAsync(SecureFallbackInstance server, ScriptedSmtpReceiver plain)
    {
        var original = new MimeMessage();
        original.From.Add(new MailboxAddress("Alice", "alice@sender.test"));
        original.To.Add(new MailboxAddress("Carol", "carol@plain.test"));
        original.Subject = "Lab results";
        original.MessageId = "original-77@sender.test";
        original.Body = new TextPart("plain") { Text = "original-body-marker\nSee you." };
        await server.SendAsync(original);
        await plain.WaitForMessageAsync(); // the pickup notice
        return original;
    }

    /// <summary>Registers through the notice link; returns the message's path.</summary>
    internal static Task<string> RegisterAsync(PortalVisitor visitor, ScriptedSmtpReceiver plain) =>
        RegisterAsync(visitor, plain.Messages.Select(m => m.Parse()).Single());

    /// <summary>Registers through the link in <paramref name="notice"/>; returns the message's path.</summary>
    internal static async Task<string> RegisterAsync(PortalVisitor visitor, MimeMessage notice)
    {
        var token = PickupToken().Match(notice.TextBody!).Groups[1].Value;
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

    internal static async Task<HttpResponseMessage> PostReplyAsync(PortalVisitor visitor, string page, string text, string? fileText)
    {
        var html = await ReadAsync(visitor, page);
        var form = new MultipartFormDataContent
        {
            { new StringContent(PortalVisitor.TokenIn(html)), "__RequestVerificationToken" },
            { new StringContent(text), "text" },
        };
        if (fileText is not null)
        {
            var file = new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes(fileText));
            file.Headers.ContentType = new MediaTypeHeaderValue("text/plain");
            form.Add(file, "files", "results.txt");
        }

        return await visitor.SendAsync(HttpMethod.Post, $"{page}?handler=reply", form);
    }

    /// <summary>The reply among what the sender's server received (the held DSN and read receipt come too).</summary>
    internal static async Task<ReceivedMessage> ReplyAtAsync(TlsSmtpReceiver sender)
    {
        for (var count = 1; ; count++)
        {
            var messages = await sender.WaitForMessagesAsync(count);
            if (messages.SingleOrDefault(m => m.Text.Contains("via secure portal", StringComparison.Ordinal)) is { } reply)
            {
                return reply;
            }
        }
    }

    internal static async Task<string> ReadAsync(PortalVisitor visitor, string page)
    {
        using var response = await visitor.SendAsync(HttpMethod.Get, page);
        return await response.Content.ReadAsStringAsync();
    }

    private static async Task<QueuedMessage> ReplyRowAsync(SecureFallbackInstance server) =>
        await ReplyRowOrNullAsync(server) ?? throw new InvalidOperationException("no reply was queued");

    private static async Task<QueuedMessage?> ReplyRowOrNullAsync(SecureFallbackInstance server)
    {
        await using var scope = server.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
        return await db.Messages.AsNoTracking().SingleOrDefaultAsync(m => m.InReplyToMessageId != null);
    }

    [GeneratedRegex(@"/pickup/([A-Za-z0-9_-]{43})")]
    private static partial Regex PickupToken();
}
