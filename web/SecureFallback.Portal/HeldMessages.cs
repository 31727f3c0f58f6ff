using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using MimeKit;
using SecureFallback.Core;
using SecureFallback.Core.Intake;
using SecureFallback.Core.Messages;
using SecureFallback.Core.Pickup;
using SecureFallback.Core.Telemetry;
using SecureFallback.Data;
using SecureFallback.Data.Content;
using SecureFallback.Data.Writes;

namespace SecureFallback.Portal;

/// <summary>
/// Who is reading, as far as the sender is told: the client's network (<see cref="ClientNetwork.ReadingNetworkOf"/>,
/// never the full address) and its browser family (<see cref="BrowserFamily"/>).
/// </summary>
public sealed record Reader(string Network, string Browser)
{
    public static Reader Unknown { get; } = new("unknown", BrowserFamily.Other);

    /// <summary>The reader of a request; forwarded headers (from a trusted proxy) are already applied to its address.</summary>
    public static Reader Of(Microsoft.AspNetCore.Http.HttpContext http) => new(
        http.Connection.RemoteIpAddress is { } ip ? ClientNetwork.ReadingNetworkOf(ip) : "unknown",
        BrowserFamily.Of(http.Request.Headers.UserAgent.ToString()));
}

/// <summary>
/// A held message as the recipient sees it in the inbox; with <paramref name="DeliveredAt"/>, one delivered to their
/// mailbox once TLS came back, shown as such (its copy here is gone) until the grant runs out.
/// </summary>
public sealed record HeldMessageSummary(Guid GrantId, string From, DateTimeOffset Date, string Subject, DateTimeOffset ExpiresAt, bool Read, DateTimeOffset? DeliveredAt = null);

/// <summary>
/// The recipient's view of the store. Every query is filtered by the signed-in user's own address, so one recipient
/// can never list, open or mark another recipient's messages, whatever id they put in a URL.
/// </summary>
public sealed partial class HeldMessages(
    SecureFallbackDbContext db,
    ISealedContentReader content,
    IDeliverySignal signal,
    TimeProvider timeProvider,
    SecureFallbackMetrics metrics,
    ShownMessageCache shown,
    IStringLocalizer<PortalText> text) : IDisposable
{
    // Opened messages are parsed in MimeKit's persistent mode: their parts read from these decrypting streams
    // on demand instead of holding copies, so the streams live as long as the request (this scoped service).
    private readonly List<Stream> _opened = [];

    /// <summary>The live grant for a link token, compared in constant time; null when unknown, used or expired.</summary>
    public async Task<PickupGrant?> FindUnusedGrantAsync(string token, CancellationToken cancellationToken) =>
        await FindGrantAsync(token, cancellationToken) is { TokenUsedAt: null } grant ? grant : null;

    /// <summary>
    /// The unexpired grant for a link token, used or not, compared in constant time; null when unknown or expired.
    /// A used token only ever leads its owner to sign-in and the message: it creates and signs in nothing.
    /// </summary>
    public async Task<PickupGrant?> FindGrantAsync(string token, CancellationToken cancellationToken)
    {
        var hash = PickupGrant.HashToken(token);
        var now = timeProvider.GetUtcNow();
        var grant = await db.PickupGrants.SingleOrDefaultAsync(g => g.TokenHash == hash, cancellationToken);
        return grant is not null && CryptographicOperations.FixedTimeEquals(grant.TokenHash, hash) && grant.ExpiresAt > now
            ? grant
            : null;
    }

    /// <summary>True when <paramref name="address"/> (a signed-in user's name) is the one <paramref name="grant"/> is for.</summary>
    public static bool IsFor(PickupGrant grant, string? address) =>
        address is not null && string.Equals(PickupGrant.AddressKeyOf(address), PickupGrant.AddressKeyOf(grant.Address), StringComparison.Ordinal);

    /// <summary>
    /// The live grant for an address and the reference code from its notice. Knowing both proves the notice reached
    /// that mailbox, as the link does. Codes are compared in constant time; the endpoint is rate-limited.
    /// </summary>
    public async Task<PickupGrant?> FindByReferenceAsync(string address, string code, CancellationToken cancellationToken)
    {
        var wanted = NormalizeCode(code);
        var now = timeProvider.GetUtcNow();
        var key = PickupGrant.AddressKeyOf(address);
        var candidates = await db.PickupGrants
            .Where(g => g.AddressKey == key && g.ExpiresAt > now)
            .ToListAsync(cancellationToken);
        return candidates.FirstOrDefault(g => CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.ASCII.GetBytes(NormalizeCode(g.ReferenceCode)), System.Text.Encoding.ASCII.GetBytes(wanted)));
    }

    private static string NormalizeCode(string code) =>
        new(code.ToUpperInvariant().Where(char.IsLetterOrDigit).ToArray());

    /// <summary>The address as its grants spell it, when messages are waiting for it; otherwise null.</summary>
    public async Task<string?> WaitingAddressAsync(string address, CancellationToken cancellationToken) =>
        await LiveGrantsAsync(address.Trim()).Select(g => g.Address).FirstOrDefaultAsync(cancellationToken);

    public async Task MarkTokenUsedAsync(PickupGrant grant, CancellationToken cancellationToken)
    {
        grant.TokenUsedAt = timeProvider.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken);
    }

    public async Task<List<HeldMessageSummary>> ListAsync(string address, CancellationToken cancellationToken)
    {
        var summaries = new List<HeldMessageSummary>();
        var stamp = await AccountStampAsync(address, cancellationToken);
        foreach (var grant in await LiveGrantsAsync(address).OrderByDescending(g => g.CreatedAt).ToListAsync(cancellationToken))
        {
            // The inbox needs headers only: just the chunks holding them are read and decrypted.
            HeaderList headers;
            try
            {
                await using var stream = await content.OpenAsync(grant.MessageId, cancellationToken);
                if (stream is null)
                {
                    continue;
                }

                headers = await HeaderList.LoadAsync(stream, cancellationToken);
            }
            catch (ContentTamperedException)
            {
                summaries.Add(new HeldMessageSummary(grant.Id, "", grant.CreatedAt, text["Inbox.Damaged"], grant.ExpiresAt, grant.FirstReadAt is not null));
                continue;
            }

            var from = headers[HeaderId.From] is { } raw && InternetAddressList.TryParse(raw, out var list) ? list.ToString() : "";
            var date = headers[HeaderId.Date] is { } rawDate && MimeKit.Utils.DateUtils.TryParse(rawDate, out var parsed) ? parsed : grant.CreatedAt;
            // A message that waits for the sender's PIN shows nothing of itself but its sender.
            var subject = grant.NeedsPinFor(stamp) ? text["Inbox.OpensWithPin"] : headers[HeaderId.Subject] is { Length: > 0 } s ? s : text["Message.NoSubject"];
            summaries.Add(new HeldMessageSummary(grant.Id, from, date, subject, grant.ExpiresAt, grant.FirstReadAt is not null));
        }

        foreach (var (grant, deliveredAt) in await DeliveredGrants(address).ToListAsync(cancellationToken))
        {
            summaries.Add(new HeldMessageSummary(grant.Id, "", deliveredAt, text["Inbox.Delivered", text.When(deliveredAt)], grant.ExpiresAt, true, deliveredAt));
        }

        return summaries;
    }

    /// <summary>
    /// The security stamp of the account named <paramref name="address"/> (a signed-in user's name): a PIN unlock holds
    /// only while it is the stamp the unlock was made with (<see cref="PickupGrant.NeedsPinFor"/>).
    /// </summary>
    private async Task<string?> AccountStampAsync(string address, CancellationToken cancellationToken)
    {
        var normalizedEmail = AddressLookupNormalizer.Normalize(address);
        return await db.Users.Where(u => u.NormalizedEmail == normalizedEmail).Select(u => u.SecurityStamp).FirstOrDefaultAsync(cancellationToken);
    }

    /// <summary>
    /// Records a reading (<see cref="PickupGrant.RecordReading"/>) and saves it with the report it owes (outbox): never
    /// lost, never twice. The grant is updated only while its reading state is what this request read; when another
    /// reading got there first, the grant is read again and this reading recorded on top of it. Null when the copy
    /// was claimed for delivery to the mailbox (<see cref="PickupGrant.RedeliveryClaimedAt"/>): that claim and a
    /// reading are conditional updates of the same grant row, so one wins and the other finds it taken; the message
    /// is shown only after its reading was saved.
    /// </summary>
    private async Task<GrantReading?> RecordReadingAsync(PickupGrant grant, Reader reader, bool accountCreatedHere, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        for (var attempt = 0; attempt < 10; attempt++)
        {
            if (grant.RedeliveryClaimedAt is not null)
            {
                return null;
            }

            var (firstReadAt, readNetworks) = (grant.FirstReadAt, grant.ReadNetworks);
            var recorded = grant.RecordReading(now, reader.Network, reader.Browser, accountCreatedHere);
            if (recorded.Kind == GrantReading.Nothing)
            {
                return GrantReading.Nothing;
            }

            await using var write = await db.BeginWriteAsync(WriteDurability.Full, cancellationToken);
            var unchanged = db.PickupGrants.Where(g => g.Id == grant.Id && g.FirstReadAt == firstReadAt && g.ReadNetworks == readNetworks && g.RedeliveryClaimedAt == null);
            var updated = recorded.Kind == GrantReading.First
                ? await unchanged.ExecuteUpdateAsync(s => s
                    .SetProperty(g => g.FirstReadAt, grant.FirstReadAt)
                    .SetProperty(g => g.FirstReadNetwork, grant.FirstReadNetwork)
                    .SetProperty(g => g.FirstReadBrowser, grant.FirstReadBrowser)
                    .SetProperty(g => g.FirstReadAccountCreatedHere, grant.FirstReadAccountCreatedHere)
                    .SetProperty(g => g.ReadNetworks, grant.ReadNetworks)
                    .SetProperty(g => g.ReadReceiptPending, true), cancellationToken)
                : await unchanged.ExecuteUpdateAsync(s => s
                    .SetProperty(g => g.ReadNetworks, grant.ReadNetworks)
                    .SetProperty(g => g.ReopenCount, grant.ReopenCount), cancellationToken);
            if (updated == 1)
            {
                if (recorded.Report is { } report)
                {
                    db.ReadingReports.Add(report);
                    await db.SaveChangesAsync(cancellationToken);
                }

                await write.CommitAsync(cancellationToken);
                return recorded.Kind;
            }

            // Another reading was saved since this grant was read: nothing was written (rolled back); read it again.
            grant = await db.PickupGrants.AsNoTracking().SingleAsync(g => g.Id == grant.Id, cancellationToken);
        }

        return GrantReading.Nothing; // readings racing this one ten times over: each of theirs is recorded
    }

    /// <summary>
    /// Live grants of an address: held, and not locked by "this was not me". Matched by the stored key
    /// (<see cref="PickupGrant.AddressKeyOf"/>: ASCII case ignored, like the account look-ups, everything else exact),
    /// so grants issued before the <see cref="PickupGrant.NormalizeAddress"/> form existed (an upper-case domain)
    /// still match, and the database's own case rules never take part.
    /// </summary>
    private IQueryable<PickupGrant> LiveGrantsAsync(string address)
    {
        var key = PickupGrant.AddressKeyOf(address);
        var now = timeProvider.GetUtcNow();
        return db.PickupGrants.Where(g =>
            g.AddressKey == key &&
            g.ExpiresAt > now &&
            db.Recipients.Any(r => r.Id == g.RecipientId && r.Status == RecipientStatus.HeldForPickup && r.PickupLockedAt == null));
    }

    private async Task<MimeMessage?> OpenAsync(Guid messageId, CancellationToken cancellationToken)
    {
        // Loading reads the stream to its end, so every chunk is verified before anything is shown: tampered content
        // throws ContentTamperedException and is refused, never shown.
        var stream = await content.OpenAsync(messageId, cancellationToken);
        if (stream is null)
        {
            return null;
        }

        _opened.Add(stream);
        return await MimeMessage.LoadAsync(ParserOptions.Default, stream, persistent: true, cancellationToken);
    }

    public void Dispose()
    {
        foreach (var stream in _opened)
        {
            stream.Dispose();
        }

        _opened.Clear();
    }
}
