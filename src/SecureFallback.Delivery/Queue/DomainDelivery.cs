using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MimeKit;
using SecureFallback.Core.Delivery;
using SecureFallback.Core.Messages;
using SecureFallback.Data;
using SecureFallback.Delivery.Routing;
using SecureFallback.Delivery.Transport;

namespace SecureFallback.Delivery.Queue;

/// <summary>
/// Delivers the due recipients of one domain: resolves the next hops once, then for each message tries the
/// hosts in order over mandatory TLS, reusing an open session for the following messages.
/// </summary>
internal sealed class DomainDelivery(
    IServiceScopeFactory scopeFactory,
    INextHopResolver resolver,
    IContentProtector protector,
    OutcomeRecorder recorder,
    IOptions<DeliveryOptions> options,
    TimeProvider timeProvider,
    ILogger<DomainDelivery> logger)
{
    /// <summary>Addresses tried per host in one attempt, so a host with many addresses cannot eat the whole attempt.</summary>
    private const int MaxAddressesPerHost = 2;

    public async Task DeliverAsync(string domain, IReadOnlyList<DueRecipient> due, CancellationToken cancellationToken)
    {
        var started = timeProvider.GetUtcNow();
        var resolution = await resolver.ResolveAsync(domain, cancellationToken);
        SecureSmtpSession? session = null;
        try
        {
            foreach (var message in due.GroupBy(r => r.MessageId))
            {
                var recipients = message.ToList();
                Dictionary<long, List<AttemptRecord>> attempts;
                if (resolution.Failure is { } failure)
                {
                    attempts = recipients.ToDictionary(r => r.Id, _ => new List<AttemptRecord> { new(domain, null, 0, failure, null, started) });
                }
                else
                {
                    var prepared = await LoadAsync(message.Key, cancellationToken);
                    if (prepared.Failure is { } loadFailure)
                    {
                        attempts = recipients.ToDictionary(r => r.Id, _ => new List<AttemptRecord> { new("(local)", null, 0, loadFailure, null, started) });
                    }
                    else
                    {
                        (attempts, session) = await SendAsync(resolution.Hosts, session, prepared.Message!, prepared.EnvelopeFrom, recipients, cancellationToken);
                    }
                }

                await recorder.RecordAsync(
                    message.Key,
                    attempts.ToDictionary(p => p.Key, p => (IReadOnlyList<AttemptRecord>)p.Value),
                    cancellationToken);
            }
        }
        finally
        {
            if (session is not null)
            {
                await session.DisposeAsync();
            }
        }
    }

    private async Task<(Dictionary<long, List<AttemptRecord>> Attempts, SecureSmtpSession? Session)> SendAsync(
        IReadOnlyList<NextHop> hosts,
        SecureSmtpSession? session,
        MimeMessage message,
        string envelopeFrom,
        List<DueRecipient> recipients,
        CancellationToken cancellationToken)
    {
        var attempts = recipients.ToDictionary(r => r.Id, _ => new List<AttemptRecord>());
        var remaining = recipients;

        if (session is { IsUsable: true })
        {
            remaining = await SendOnSessionAsync(session, message, envelopeFrom, remaining, attempts, cancellationToken);
        }

        foreach (var hop in hosts)
        {
            foreach (var address in hop.Addresses.Take(MaxAddressesPerHost))
            {
                if (remaining.Count == 0)
                {
                    return (attempts, session);
                }

                var started = timeProvider.GetUtcNow();
                var (opened, failure) = await SecureSmtpSession.OpenAsync(hop, address, options.Value, cancellationToken);
                if (opened is null)
                {
                    foreach (var recipient in remaining)
                    {
                        attempts[recipient.Id].Add(new AttemptRecord(hop.HostName, address, hop.Port, failure!, null, started));
                    }

                    continue;
                }

                if (session is not null)
                {
                    await session.DisposeAsync();
                }

                session = opened;
                remaining = await SendOnSessionAsync(session, message, envelopeFrom, remaining, attempts, cancellationToken);
            }
        }

        return (attempts, session);
    }

    /// <returns>The recipients that still need another host because the connection broke.</returns>
    private async Task<List<DueRecipient>> SendOnSessionAsync(
        SecureSmtpSession session,
        MimeMessage message,
        string envelopeFrom,
        List<DueRecipient> recipients,
        Dictionary<long, List<AttemptRecord>> attempts,
        CancellationToken cancellationToken)
    {
        var started = timeProvider.GetUtcNow();
        var results = await session.SendAsync(message, envelopeFrom, recipients.Select(r => r.Address).ToList(), cancellationToken);
        var retryElsewhere = new List<DueRecipient>();
        foreach (var recipient in recipients)
        {
            var result = results[recipient.Address];
            attempts[recipient.Id].Add(new AttemptRecord(session.Hop.HostName, session.Address, session.Hop.Port, result, session.Tls, started));
            if (result.Reason == FailureReason.ConnectionFailed)
            {
                retryElsewhere.Add(recipient);
            }
        }

        return retryElsewhere;
    }

    private async Task<(MimeMessage? Message, string EnvelopeFrom, HostAttemptResult? Failure)> LoadAsync(Guid messageId, CancellationToken cancellationToken)
    {
        await using var scope = scopeFactory.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
        var envelope = await db.Messages.AsNoTracking().Where(m => m.Id == messageId).Select(m => m.EnvelopeFrom).SingleAsync(cancellationToken);
        var content = await db.MessageContents.AsNoTracking().SingleOrDefaultAsync(c => c.MessageId == messageId, cancellationToken);
        if (content is null)
        {
            return (null, envelope, new HostAttemptResult(DeliveryOutcome.Permanent, "content-missing", "the queued content is missing", "5.3.0"));
        }

        try
        {
            var plaintext = protector.Open(content);
            var message = await MimeMessage.LoadAsync(new MemoryStream(plaintext, writable: false), cancellationToken);
            return (message, envelope, null);
        }
        catch (ContentTamperedException ex)
        {
            DeliveryLog.ContentTampered(logger, messageId, ex);
            return (null, envelope, new HostAttemptResult(DeliveryOutcome.Permanent, "content-tampered", "the queued content failed its integrity check and was not sent", "5.3.0"));
        }
    }
}
