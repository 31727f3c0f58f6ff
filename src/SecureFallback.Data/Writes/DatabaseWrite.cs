using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using SecureFallback.Core.Messages;

namespace SecureFallback.Data.Writes;

/// <summary>How much a write's commit must survive.</summary>
public enum WriteDurability
{
    /// <summary>On disk before the commit returns (every intake commit: the 250 promises it).</summary>
    Full,

    /// <summary>
    /// For state changes whose loss can only cause a repeat, never a loss: delivery outcomes and queued notices.
    /// On SQLite under WAL the commit still survives a process crash; an OS crash may roll back the last such
    /// commits, and then the recipient is simply tried (or the notice built) again. The next full commit's fsync
    /// covers every earlier relaxed one.
    /// </summary>
    Relaxed,
}

/// <summary>
/// One write transaction, begun by <see cref="SecureFallbackDbContext.BeginWriteAsync"/>: it holds this process's
/// write gate until it is disposed, and rolls back unless <see cref="CommitAsync"/> was called.
/// </summary>
public sealed partial class DatabaseWrite : IAsyncDisposable
{
    private readonly SecureFallbackDbContext _db;
    private readonly IDbContextTransaction _transaction;
    private readonly IDisposable? _hold;

    /// <summary>Those of the messages named whose every recipient is final with no report still owed.</summary>
    private static readonly PerModel<Func<SecureFallbackDbContext, List<Guid>, IAsyncEnumerable<Guid>>> SettledMessages = new(() => EF.CompileAsyncQuery(
        (SecureFallbackDbContext db, List<Guid> ids) => db.Messages
            .Where(m => ids.Contains(m.Id) && m.Recipients.All(r => r.Status != RecipientStatus.Queued && r.Status != RecipientStatus.HeldForPickup && !r.DsnPending))
            .Select(m => m.Id)));

    internal DatabaseWrite(SecureFallbackDbContext db, IDbContextTransaction transaction, IDisposable? hold) =>
        (_db, _transaction, _hold) = (db, transaction, hold);

    public Task CommitAsync(CancellationToken cancellationToken = default) => _transaction.CommitAsync(cancellationToken);

    /// <summary>
    /// Deletes the sealed content of those of <paramref name="messages"/> that need it no more: every recipient is
    /// final and no report about it is still owed. Call after saving the recipients' new states.
    /// </summary>
    public async Task PurgeSettledContentAsync(IReadOnlyList<QueuedMessage> messages, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var candidates = messages.Where(m => m.ContentPurgedAt is null).Select(m => m.Id).ToList();
        if (candidates.Count == 0)
        {
            return;
        }

        // Judged from the database, not from the loaded rows: another delivery task or instance may have settled
        // the message's other recipients meanwhile. With instances on PostgreSQL, two may settle the last two
        // recipients at once, each seeing the other's as still open; locking the message rows makes the later
        // one wait for the earlier one's commit and see it.
        await MessageLocks.LockAsync(_db, candidates, cancellationToken);
        var done = await SettledMessages.For(_db)(_db, candidates).ToListAsync(cancellationToken);
        if (done.Count == 0)
        {
            return;
        }

        // Deleting the row deletes the wrapped data key with the ciphertext: the content is crypto-shredded.
        await DeleteWhereInAsync<MessageContent, Guid>(nameof(MessageContent.MessageId), done, cancellationToken);
        await SetWhereInAsync<QueuedMessage, Guid>(nameof(QueuedMessage.ContentPurgedAt), now, nameof(QueuedMessage.Id), done, cancellationToken);
        foreach (var message in messages.Where(m => done.Contains(m.Id)))
        {
            // Written above; a tracked copy takes the value as saved, so no later save writes it again.
            message.ContentPurgedAt = now;
            if (_db.Entry(message) is { State: not EntityState.Detached } entry)
            {
                entry.Property(m => m.ContentPurgedAt).OriginalValue = now;
            }
        }

        // On SQLite the deleted pages are zeroed (secure_delete), but their old images stay in the WAL until a
        // checkpoint: SqliteWalCheckpointer runs one once this transaction commits.
        _db.PurgedContent = true;
    }

    /// <summary>
    /// Those of <paramref name="recipientIds"/> whose claim is still <paramref name="owner"/>'s, held so until this
    /// write ends: only their states may change in it (a claim that lapsed may be another instance's by now).
    /// Null on SQLite: this write is the only writer and its reads share one snapshot, so the recipient rows it reads
    /// say who holds each claim (<see cref="ClaimsHeld"/>) without a query of their own. On PostgreSQL the claims
    /// are locked here, before the rows are read, so the states read are current.
    /// </summary>
    public async Task<IReadOnlySet<long>?> LeasesHeldAsync(IReadOnlyCollection<long> recipientIds, string owner, CancellationToken cancellationToken) =>
        _db.Database.IsSqlite() ? null
        : recipientIds.Count == 0 ? new HashSet<long>()
        : (await Queue.RecipientLeases.HeldAsync(_db, recipientIds, owner, cancellationToken)).ToHashSet();

    /// <summary>Those of <paramref name="recipients"/>, read in this write, whose claim is <paramref name="owner"/>'s.</summary>
    public static IReadOnlySet<long> ClaimsHeld(IEnumerable<QueuedRecipient> recipients, string owner) =>
        recipients.Where(r => r.LeaseOwner == owner).Select(r => r.Id).ToHashSet();

    /// <summary>
    /// Adds TLS session counts (RFC 8460 reporting) to this write, in a savepoint: if that fails, only they are
    /// rolled back and the rest of the write still commits.
    /// </summary>
    /// <returns>The error that rolled the counts back, or null.</returns>
    public Task<Exception?> TryAddTlsSessionCountsAsync(IReadOnlyList<Core.Reporting.TlsSessionCount> counts, CancellationToken cancellationToken) =>
        Reporting.TlsSessionCounts.AddAsync(_db, _transaction, counts, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _transaction.DisposeAsync();
        }
        finally
        {
            _db.PurgedContent = false;
            _db.ReleaseWriteHold(_hold);
        }
    }
}
