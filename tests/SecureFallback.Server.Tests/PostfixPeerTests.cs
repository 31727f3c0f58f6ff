using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using MimeKit;
using SecureFallback.Core.Delivery;
using SecureFallback.Core.Messages;
using SecureFallback.Data;
using SecureFallback.Delivery.Outcomes;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

/// <summary>
/// Issue 15 against real peers: private Postfix instances (<see cref="PrivatePostfix"/>) as the sender's and the
/// recipient's servers, delivering into maildirs, so what arrived, and how (Return-Path, Received: TLS), is what a
/// real mail server saw.
/// </summary>
public sealed class PostfixPeerTests
{
    private const string Marker = "postfix-peer-body-marker-6620";
    private const string Password = "carol's long portal password 42";

    [Fact]
    public async Task Reply_ArrivesAtTheSendersPostfixOverTls_FromTheNoticesAddress_NeverFromTheNullSender()
    {
        await using var plain = await PrivatePostfix.StartAsync("mx.plain.test", offerStartTls: false);
        await using var sender = await PrivatePostfix.StartAsync("mx.sender.test");
        await using var server = await SecureFallbackInstance.StartAsync(PortalReplyTests.Settings(plain.Route, sender.Route, []));
        await server.SendAsync("alice@sender.test", ["carol@plain.test"], "Lab results", Marker);
        using var carol = new PortalVisitor(server.WebAddress);
        var page = await PortalReplyTests.RegisterAsync(carol, Assert.Single(await plain.WaitForMessagesAsync(1)));

        using var posted = await PortalReplyTests.PostReplyAsync(carol, page, "Confirmed.", null);

        var reply = await ReplyAtAsync(sender);
        Assert.Equal("<secure-reply@portal.test>", reply.Headers[HeaderId.ReturnPath]); // MAIL FROM, as Postfix received it
        Assert.Equal("secure-reply@portal.test", reply.From.Mailboxes.Single().Address); // the same domain: SPF aligns
        Assert.Contains("with ESMTPS", reply.Headers[HeaderId.Received], StringComparison.Ordinal);
        Assert.Contains("(using TLSv1.", reply.Headers[HeaderId.Received], StringComparison.Ordinal);
        var stored = (await server.RecipientsAsync()).Single(r => r.Message!.Kind == MessageKind.PortalReply);
        Assert.Equal("secure-reply@portal.test", stored.Message!.EnvelopeFrom);
    }

    [Fact]
    public async Task Reply_ToASendersPostfixWithoutStartTls_NeverReachesItsData_AndThePortalShowsItNotYetDelivered()
    {
        await using var plain = await PrivatePostfix.StartAsync("mx.plain.test", offerStartTls: false);
        await using var sender = await PrivatePostfix.StartAsync("mx.sender.test", offerStartTls: false);
        await using var server = await SecureFallbackInstance.StartAsync(PortalReplyTests.Settings(plain.Route, sender.Route, []));
        await server.SendAsync("alice@sender.test", ["carol@plain.test"], "Lab results", Marker);
        using var carol = new PortalVisitor(server.WebAddress);
        var page = await PortalReplyTests.RegisterAsync(carol, Assert.Single(await plain.WaitForMessagesAsync(1)));

        using var posted = await PortalReplyTests.PostReplyAsync(carol, page, $"Call me. {Marker}", "attached-file-text");

        var recipients = await server.WaitForRecipientsAsync(r => r.Any(x => x.Message!.Kind == MessageKind.PortalReply && x.AttemptCount >= 2));
        var waiting = recipients.Single(x => x.Message!.Kind == MessageKind.PortalReply);
        Assert.Equal(RecipientStatus.Queued, waiting.Status);
        Assert.Equal(DeliveryOutcome.TlsUnavailable, waiting.LastOutcome);
        Assert.Empty(sender.Messages); // nothing at all: the reply, the held DSN and the read receipt all wait for TLS
        var log = sender.Log;
        Assert.Contains("disconnect from", log, StringComparison.Ordinal); // our server did call, and hung up after EHLO
        Assert.DoesNotContain(" mail=", log, StringComparison.Ordinal); // never a MAIL FROM, let alone DATA
        Assert.DoesNotContain(" data=", log, StringComparison.Ordinal);
        Assert.DoesNotContain("message-id=", log, StringComparison.Ordinal); // Postfix's cleanup never saw a message
        var thread = await PortalReplyTests.ReadAsync(carol, page);
        Assert.Contains("<strong class=\"reply-state\">queued</strong>", thread, StringComparison.Ordinal);
        Assert.Contains("offered no secure connection yet", thread, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HeldCopy_WhenTheRecipientsPostfixStartsOfferingStartTls_ArrivesThereOnceOverTls_AndThePortalSaysDelivered()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var plain = await PrivatePostfix.StartAsync("mx.plain.test", offerStartTls: false);
        await using var sender = await PrivatePostfix.StartAsync("mx.sender.test");
        await using var server = await SecureFallbackInstance.StartAsync(
            new Dictionary<string, string>
            {
                ["SecureFallback:Delivery:Routes:plain.test"] = plain.Route,
                ["SecureFallback:Delivery:Routes:sender.test"] = sender.Route,
                ["SecureFallback:Pickup:RetryTlsEvery"] = "00:05:00",
                ["SecureFallback:Pickup:ExpiryScanInterval"] = "00:01:00",
            },
            time: clock);
        await server.SendAsync("alice@sender.test", ["carol@plain.test"], "Lab results", Marker);
        Assert.DoesNotContain(Marker, Assert.Single(await plain.WaitForMessagesAsync(1)).TextBody); // the pickup notice
        await sender.WaitForMessagesAsync(1); // the "held" DSN
        await server.WaitForIdleQueueAsync();
        Assert.Equal(RecipientStatus.HeldForPickup, (await server.RecipientsAsync()).Single(IsHeldCopy).Status);

        await plain.OfferStartTlsAsync();
        clock.Advance(TimeSpan.FromMinutes(6)); // past RetryTlsEvery: the next scan queues the copy

        var copy = (await plain.WaitForMessagesAsync(2))[1];
        Assert.Contains(Marker, copy.TextBody, StringComparison.Ordinal);
        Assert.Contains("(using TLSv1.", copy.Headers[HeaderId.Received], StringComparison.Ordinal);
        await server.WaitForRecipientsAsync(r => r.Any(x => IsHeldCopy(x) && x.Status == RecipientStatus.Delivered));
        using var portal = new PortalVisitor(server.WebAddress);
        await server.AddPortalUserAsync("carol@plain.test", Password);
        await portal.SignInAsync("carol@plain.test", Password);
        var shown = await PortalReplyTests.ReadAsync(portal, $"/messages/{await GrantIdAsync(server)}");
        Assert.Contains("delivered to your mailbox on", shown, StringComparison.Ordinal);
        Assert.DoesNotContain(Marker, shown, StringComparison.Ordinal);

        clock.Advance(TimeSpan.FromMinutes(6)); // the retry's next round, and one run of it by hand
        var retry = server.Services.GetServices<IHostedService>().OfType<HeldTlsRetryWorker>().Single();
        Assert.Equal(0, await retry.QueueDueCopiesAsync(CancellationToken.None));
        await server.WaitForIdleQueueAsync();
        await sender.WaitForMessagesAsync(2); // the "delivered" DSN, after which nothing more is owed
        Assert.Single(plain.Messages, m => m.TextBody?.Contains(Marker, StringComparison.Ordinal) == true); // once
        Assert.Equal(2, plain.Messages.Count);
    }

    private static bool IsHeldCopy(QueuedRecipient r) => r.Address == "carol@plain.test" && r.Message!.Kind == MessageKind.Submitted;

    private static async Task<Guid> GrantIdAsync(SecureFallbackInstance server)
    {
        await using var scope = server.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
        return await db.PickupGrants.Where(g => g.Address == "carol@plain.test").Select(g => g.Id).SingleAsync();
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
}
