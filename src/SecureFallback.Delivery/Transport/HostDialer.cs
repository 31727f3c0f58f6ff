using Microsoft.Extensions.Options;
using MimeKit;
using SecureFallback.Core.Delivery;
using SecureFallback.Core.Messages;
using SecureFallback.Core.Policies;
using SecureFallback.Delivery.Outcomes;
using SecureFallback.Delivery.Queue;
using SecureFallback.Delivery.Routing;

namespace SecureFallback.Delivery.Transport;

/// <summary>
/// Sends one message to its recipients at a domain: tries the hosts, and up to <see cref="MaxAddressesPerHost"/>
/// addresses of each, in order over mandatory TLS at the decided level (reusing an open session first), and records
/// every attempt; a certificate is judged with the host's DNSSEC-validated TLSA records and the trusted roots, and a
/// host whose TLSA lookup failed is skipped (<see cref="DaneDecision"/>).
/// </summary>
internal sealed class HostDialer(DaneRecords danes, TrustedRoots trustedRoots, IOptions<DeliveryOptions> options, TimeProvider timeProvider)
{
    /// <summary>Addresses tried per host in one attempt, so a host with many addresses cannot eat the whole attempt.</summary>
    private const int MaxAddressesPerHost = 2;

    /// <summary>Sends over mandatory TLS until every recipient has an answer or every host was tried.</summary>
    /// <returns>The attempts per recipient id, and the session to reuse for the next message (null if none opened).</returns>
    public async Task<(Dictionary<long, List<AttemptRecord>> Attempts, SecureSmtpSession? Session)> SendAsync(
        IReadOnlyList<NextHop> hosts,
        SecureSmtpSession? session,
        MimeMessage message,
        string envelopeFrom,
        List<DueRecipient> recipients,
        PolicyDecision decision,
        string domain,
        CancellationToken cancellationToken)
    {
        var attempts = recipients.ToDictionary(r => r.Id, _ => new List<AttemptRecord>());
        var remaining = recipients;

        if (session is { IsUsable: true })
        {
            remaining = await SendOnSessionAsync(session, reused: true, message, envelopeFrom, remaining, attempts, decision, domain, cancellationToken);
        }

        foreach (var hop in hosts)
        {
            if (remaining.Count == 0)
            {
                return (attempts, session);
            }

            var dane = await danes.ForAsync(hop, cancellationToken);
            if (dane.Unusable is { } unusable)
            {
                // RFC 7672 2.2: a secure host whose TLSA lookup failed is not used at all in this attempt.
                var started = timeProvider.GetUtcNow();
                foreach (var recipient in remaining)
                {
                    attempts[recipient.Id].Add(new AttemptRecord(hop.HostName, hop.Addresses.FirstOrDefault(), hop.Port, unusable, null, started, decision.Level) { Tlsa = [] });
                }

                continue;
            }

            foreach (var address in hop.Addresses.Take(MaxAddressesPerHost))
            {
                if (remaining.Count == 0)
                {
                    return (attempts, session);
                }

                var started = timeProvider.GetUtcNow();
                var check = new PeerCertificateCheck(trustedRoots.Certificates, timeProvider) { Tlsa = dane.Records };
                var (opened, failure) = await SecureSmtpSession.OpenAsync(hop, address, options.Value, check, timeProvider, cancellationToken);
                if (opened is null)
                {
                    foreach (var recipient in remaining)
                    {
                        attempts[recipient.Id].Add(new AttemptRecord(hop.HostName, address, hop.Port, failure!, null, started, decision.Level) { Tlsa = DaneOf(check) });
                    }

                    continue;
                }

                if (session is not null)
                {
                    await session.DisposeAsync();
                }

                session = opened;
                remaining = await SendOnSessionAsync(session, reused: false, message, envelopeFrom, remaining, attempts, decision, domain, cancellationToken);
            }
        }

        return (attempts, session);
    }

    /// <summary>
    /// Recipients whose servers all failed TLS get the message opportunistically (TLS when offered, else clear) in
    /// two cases only: notices, which carry no content (without them the recipient would never learn there is a
    /// message to pick up), and the <c>deliver-plain</c> test mode, where the TLS failure stays in the audit trail
    /// (never for a portal reply: <see cref="MessageKindExtensions.MayFollowDeliverPlain"/>).
    /// </summary>
    /// <param name="kind">The message's kind.</param>
    /// <param name="onFailure">What the decision says to do when TLS cannot be had.</param>
    /// <param name="hosts">The hosts, in order.</param>
    /// <param name="message">The message.</param>
    /// <param name="envelopeFrom">MAIL FROM.</param>
    /// <param name="recipients">The message's recipients at the domain.</param>
    /// <param name="attempts">The attempts so far per recipient id; the opportunistic ones are added.</param>
    /// <param name="cancellationToken">Stops sending.</param>
    public async Task SendOpportunisticallyIfTlsFailedAsync(
        MessageKind kind,
        FailureAction onFailure,
        IReadOnlyList<NextHop> hosts,
        MimeMessage message,
        string envelopeFrom,
        List<DueRecipient> recipients,
        Dictionary<long, List<AttemptRecord>> attempts,
        CancellationToken cancellationToken)
    {
        if (!kind.MayTravelWithoutTls() && !(onFailure == FailureAction.DeliverPlain && kind.MayFollowDeliverPlain()))
        {
            return;
        }

        var remaining = recipients.Where(r => RecipientOutcomeDecision.Decide(attempts[r.Id].Select(a => a.Result).ToList()).Outcome.IsTlsFailure()).ToList();
        foreach (var hop in hosts)
        {
            foreach (var address in hop.Addresses.Take(MaxAddressesPerHost))
            {
                if (remaining.Count == 0)
                {
                    return;
                }

                var started = timeProvider.GetUtcNow();
                var (results, tls) = await OpportunisticTransport.SendAsync(hop, address, message, envelopeFrom, remaining.Select(r => r.Address).ToList(), options.Value, cancellationToken);
                foreach (var recipient in remaining)
                {
                    attempts[recipient.Id].Add(new AttemptRecord(hop.HostName, address, hop.Port, results[recipient.Address], tls, started));
                }

                remaining = remaining.Where(r => results[r.Address].Reason == FailureReason.ConnectionFailed).ToList();
            }
        }
    }

    /// <summary>Sends on <paramref name="session"/>; <paramref name="reused"/> when it was opened for an earlier message, so its attempts are no new TLS session.</summary>
    /// <returns>The recipients that still need another host because the connection broke.</returns>
    private async Task<List<DueRecipient>> SendOnSessionAsync(
        SecureSmtpSession session,
        bool reused,
        MimeMessage message,
        string envelopeFrom,
        List<DueRecipient> recipients,
        Dictionary<long, List<AttemptRecord>> attempts,
        PolicyDecision decision,
        string domain,
        CancellationToken cancellationToken)
    {
        var started = timeProvider.GetUtcNow();
        var unmet = session.Certificate.Check(decision.Level, session.Hop.HostName, domain)
            ?? (decision.RequireTls && !session.SupportsRequireTls ? HostAttemptResult.RequireTlsUnsupported(session.Hop.HostName) : null);
        if (unmet is not null)
        {
            // The session is fine for other mail, not for this message's level: nothing is sent, the next host may do.
            foreach (var recipient in recipients)
            {
                attempts[recipient.Id].Add(new AttemptRecord(session.Hop.HostName, session.Address, session.Hop.Port, unmet, session.Tls, started, decision.Level) { Tlsa = DaneOf(session.Certificate), Reused = reused });
            }

            return recipients;
        }

        var shadow = new ShadowLevels(
            session.Certificate.Check(TlsLevel.Verify, session.Hop.HostName, domain) is null,
            session.Certificate.Check(TlsLevel.Secure, session.Hop.HostName, domain) is null);
        var results = await session.SendAsync(message, envelopeFrom, recipients.Select(r => r.Address).ToList(), decision.RequireTls, cancellationToken);
        var retryElsewhere = new List<DueRecipient>();
        foreach (var recipient in recipients)
        {
            var result = results[recipient.Address];
            attempts[recipient.Id].Add(new AttemptRecord(session.Hop.HostName, session.Address, session.Hop.Port, result, session.Tls, started, decision.Level, shadow) { Tlsa = DaneOf(session.Certificate), Reused = reused });
            if (result.Reason == FailureReason.ConnectionFailed)
            {
                retryElsewhere.Add(recipient);
            }
        }

        return retryElsewhere;
    }

    /// <summary>The TLSA records a certificate was judged with, when DANE applied.</summary>
    private static IReadOnlyList<TlsaAssociation>? DaneOf(PeerCertificateCheck check) => check.Tlsa.Count > 0 ? check.Tlsa : null;
}
