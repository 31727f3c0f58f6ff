using SecureFallback.Core.Delivery;

namespace SecureFallback.Data.Queue;

/// <summary>
/// This instance's claims on queued recipients (row leases, see <c>RecipientLeases</c>): instances sharing one
/// database each attempt a recipient only while they hold it, and a crashed instance's claims lapse.
/// </summary>
public interface IQueueLeases
{
    /// <summary>
    /// Claims, until <paramref name="until"/>, up to <paramref name="limit"/> due recipients of the
    /// <paramref name="maxDomains"/> domains longest due, leaving out <paramref name="busyDomains"/>.
    /// </summary>
    /// <returns>The claimed recipients, longest due first.</returns>
    Task<IReadOnlyList<DueRecipient>> ClaimDueAsync(
        IReadOnlyCollection<string> busyDomains, int maxDomains, int limit, DateTimeOffset now, DateTimeOffset until, CancellationToken cancellationToken);

    /// <summary>
    /// Claims, until <paramref name="until"/>, up to <paramref name="limit"/> more due recipients of
    /// <paramref name="domains"/>, which this instance is delivering to already: the recipients its runs hold
    /// (<paramref name="inHand"/>) are left out, even where their claims lapsed (a run may still renew them), as are
    /// those another instance holds. Any other claim of ours is a leftover of a failed run, free as in
    /// <see cref="ClaimDueAsync"/>.
    /// </summary>
    /// <returns>The claimed recipients, longest due first.</returns>
    Task<IReadOnlyList<DueRecipient>> ClaimMoreAsync(
        IReadOnlyCollection<string> domains, IReadOnlyCollection<long> inHand, int limit, DateTimeOffset now, DateTimeOffset until, CancellationToken cancellationToken);

    /// <summary>Extends those of <paramref name="ids"/> this instance still holds.</summary>
    /// <returns>The ids still held; the others lapsed and may be another instance's by now.</returns>
    Task<IReadOnlySet<long>> RenewAsync(IReadOnlyCollection<long> ids, DateTimeOffset until, CancellationToken cancellationToken);

    /// <summary>Drops every claim under this instance's name: at start, such a claim is left over from a run that died.</summary>
    Task ReleaseAllAsync(CancellationToken cancellationToken);

    /// <summary>When the next recipient outside <paramref name="busyDomains"/> becomes due here (or another instance's claim on one lapses).</summary>
    Task<DateTimeOffset?> NextDueAsync(IReadOnlyCollection<string> busyDomains, DateTimeOffset now, CancellationToken cancellationToken);
}
