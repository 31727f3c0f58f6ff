using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using MimeKit;
using SecureFallback.Core.Messages;
using SecureFallback.Data;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

/// <summary>
/// Held copies tried again over TLS (<c>Pickup:DeliverWhenTlsReturns</c>): a receiver that first offers no STARTTLS,
/// then (the same port, a real TLS receiver) starts offering it.
/// </summary>
public sealed class HeldTlsRetryTests
{
    private const string Marker = "retls-body-marker-8842";
    private const string Password = "carol's long portal password 42";

    [Fact]
    public async Task HeldCopy_WhenTheReceiverStartsOfferingStartTls_ArrivesOnceOverTls_AndThePortalAndTheSenderAreTold()
    {
        await using var held = await HeldAsync();

        await using var tls = await held.StartOfferingTlsAsync();
        held.Clock.Advance(TimeSpan.FromMinutes(6)); // past RetryTlsEvery (5 min): the next scan queues the copy

        var delivered = Assert.Single(await tls.WaitForMessagesAsync(1));
        Assert.Contains(Marker, delivered.Parse().TextBody);
        var report = (await held.Sender.WaitForMessagesAsync(2)).Last().Parse(); // after the "held" DSN
        var fields = Assert.IsType<MessageDeliveryStatus>(Assert.IsType<MultipartReport>(report.Body)[1]).StatusGroups[1];
        Assert.Equal("delivered", fields["Action"]);
        Assert.Equal("rfc822; carol@plain.test", fields["Final-Recipient"]);
        var carol = (await held.Server.WaitForRecipientsAsync(r => r.Any(x => IsHeldCopy(x) && x.Message!.ContentPurgedAt != null))).Single(IsHeldCopy);
        Assert.Equal(RecipientStatus.Delivered, carol.Status);

        using var portal = new PortalVisitor(held.Server.WebAddress);
        await held.Server.AddPortalUserAsync("carol@plain.test", Password);
        await portal.SignInAsync("carol@plain.test", Password);
        var inbox = await (await portal.SendAsync(HttpMethod.Get, "/inbox")).Content.ReadAsStringAsync();
        Assert.Contains("Delivered to your mailbox on", inbox);
        Assert.DoesNotContain("Lab results", inbox);
        var page = await (await portal.SendAsync(HttpMethod.Get, $"/messages/{await held.GrantIdAsync()}")).Content.ReadAsStringAsync();
        Assert.Contains("delivered to your mailbox on", page);
        Assert.DoesNotContain(Marker, page);

        held.Clock.Advance(TimeSpan.FromMinutes(6));
        await held.Server.WaitForIdleQueueAsync();
        Assert.Single(tls.Messages); // once
    }

    [Fact]
    public async Task HeldCopy_OpenedInThePortal_IsNotSentWhenTlsReturns()
    {
        await using var held = await HeldAsync();
        using var portal = new PortalVisitor(held.Server.WebAddress);
        await held.Server.AddPortalUserAsync("carol@plain.test", Password);
        await portal.SignInAsync("carol@plain.test", Password);
        var page = await (await portal.SendAsync(HttpMethod.Get, $"/messages/{await held.GrantIdAsync()}")).Content.ReadAsStringAsync();
        Assert.Contains(Marker, page);
        await held.Sender.WaitForMessagesAsync(2); // the read receipt

        await using var tls = await held.StartOfferingTlsAsync();
        held.Clock.Advance(TimeSpan.FromMinutes(6));
        held.Clock.Advance(TimeSpan.FromMinutes(6));
        await held.Server.WaitForIdleQueueAsync();

        Assert.Empty(tls.Messages);
        Assert.Equal(RecipientStatus.HeldForPickup, (await held.Server.RecipientsAsync()).Single(IsHeldCopy).Status);
    }

    [Fact]
    public async Task HeldCopy_WhileTheDomainStillOffersNoStartTls_StaysHeld_WithNoSecondNoticeNorDsn()
    {
        await using var held = await HeldAsync();
        var attemptsBefore = (await held.Server.RecipientsAsync()).Single(IsHeldCopy).AttemptCount;

        held.Clock.Advance(TimeSpan.FromMinutes(6));
        var carol = (await held.Server.WaitForRecipientsAsync(r => r.Any(x => IsHeldCopy(x) && x.TlsRetriedAt != null && x.Status == RecipientStatus.HeldForPickup))).Single(IsHeldCopy);
        await held.Server.WaitForIdleQueueAsync();

        Assert.Equal(attemptsBefore + 1, carol.AttemptCount); // it was tried
        Assert.Single(held.Plain.Messages); // the one pickup notice
        Assert.Single(held.Sender.Messages); // the one "held" DSN
        Assert.DoesNotContain(held.Plain.Lines, l => l.Contains(Marker, StringComparison.Ordinal)); // never in clear
        Assert.NotNull(await held.GrantIdAsync()); // the grant (and so the link and PIN) stays
    }

    [Fact]
    public async Task Reading_ACopyClaimedForDeliveryMeanwhile_ShowsNothing_AndRecordsNoReading()
    {
        await using var held = await HeldAsync();
        var grantId = (await held.GrantIdAsync())!.Value;
        await using var scope = held.Server.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
        // The worst interleaving: the reader got past the listing (the copy still looks held), then the claim committed.
        await db.PickupGrants.Where(g => g.Id == grantId).ExecuteUpdateAsync(s => s.SetProperty(g => g.RedeliveryClaimedAt, held.Clock.GetUtcNow()));

        var shown = await scope.ServiceProvider.GetRequiredService<SecureFallback.Portal.HeldMessages>()
            .ReadAsync("carol@plain.test", grantId, SecureFallback.Portal.Reader.Unknown, CancellationToken.None);

        Assert.Null(shown);
        var grant = await db.PickupGrants.AsNoTracking().SingleAsync(g => g.Id == grantId);
        Assert.Null(grant.FirstReadAt);
        Assert.False(grant.ReadReceiptPending);
    }

    [Fact]
    public async Task Start_WithRetryTlsEveryUnderFiveMinutes_StopsWithAMessageNamingTheSetting()
    {
        var error = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => SecureFallbackInstance.StartAsync(
            new Dictionary<string, string> { ["SecureFallback:Pickup:RetryTlsEvery"] = "00:01:00" }));

        Assert.Contains("SecureFallback:Pickup:RetryTlsEvery must be at least 00:05:00", error.Message);
    }

    private static bool IsHeldCopy(QueuedRecipient r) => r.Address == "carol@plain.test" && r.Message!.Kind == MessageKind.Submitted;

    /// <summary>A message to carol held because plain.test offers no STARTTLS; its notice and "held" DSN are out.</summary>
    private static async Task<Held> HeldAsync()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        var sender = await TlsSmtpReceiver.StartAsync("mx.sender.test");
        var server = await SecureFallbackInstance.StartAsync(
            new Dictionary<string, string>
            {
                ["SecureFallback:Delivery:Routes:plain.test"] = plain.Route,
                ["SecureFallback:Delivery:Routes:sender.test"] = sender.Route,
                ["SecureFallback:Pickup:RetryTlsEvery"] = "00:05:00",
                ["SecureFallback:Pickup:ExpiryScanInterval"] = "00:01:00",
            },
            time: clock);
        await server.SendAsync("alice@sender.test", ["carol@plain.test"], "Lab results", Marker);
        await plain.WaitForMessagesAsync(1); // the pickup notice
        await sender.WaitForMessagesAsync(1); // the "held" DSN
        await server.WaitForIdleQueueAsync();
        return new Held(clock, plain, sender, server);
    }

    private sealed record Held(FakeTimeProvider Clock, ScriptedSmtpReceiver Plain, TlsSmtpReceiver Sender, SecureFallbackInstance Server) : IAsyncDisposable
    {
        private bool _plainStopped;

        /// <summary>plain.test fixed its server: a real STARTTLS receiver now listens on the same port.</summary>
        public async Task<TlsSmtpReceiver> StartOfferingTlsAsync()
        {
            var port = Plain.Port;
            _plainStopped = true;
            await Plain.DisposeAsync();
            return await TlsSmtpReceiver.StartAsync("mx.plain.test", port);
        }

        public async Task<Guid?> GrantIdAsync()
        {
            await using var scope = Server.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
            return await db.PickupGrants.Where(g => g.Address == "carol@plain.test").Select(g => (Guid?)g.Id).SingleOrDefaultAsync();
        }

        public async ValueTask DisposeAsync()
        {
            await Server.DisposeAsync();
            await Sender.DisposeAsync();
            if (!_plainStopped)
            {
                await Plain.DisposeAsync();
            }
        }
    }
}
