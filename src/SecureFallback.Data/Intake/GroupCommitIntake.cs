using System.Buffers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SecureFallback.Core.Concurrency;
using SecureFallback.Core.Intake;
using SecureFallback.Core.Messages;
using SecureFallback.Data.Content;
using SecureFallback.Data.Writes;

namespace SecureFallback.Data.Intake;

/// <summary>
/// Commits accepted messages in groups (<see cref="GroupCommit{T}"/>): every session seals its own message, then
/// waits while one commit carries all messages that arrived meanwhile in a single transaction (one fsync for the
/// group). Each caller is released only after the transaction holding its message committed, so the 250 still
/// follows a durable commit; and since nobody leaves once a commit has taken their message, content sealed straight
/// from a session's buffer is never read after the session has let go of it.
/// </summary>
internal sealed partial class GroupCommitIntake : IMessageIntake
{
    private const int MaxGroupSize = 512;

    private readonly IServiceScopeFactory _scopeFactory;
    private readonly IContentProtector _protector;
    private readonly IDeliverySignal _deliverySignal;
    private readonly DatabaseReadiness _readiness;
    private readonly IOptions<DatabaseOptions> _database;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<GroupCommitIntake> _logger;
    private readonly GroupCommit<PendingCommit> _commits;

    public GroupCommitIntake(
        IServiceScopeFactory scopeFactory,
        IContentProtector protector,
        IDeliverySignal deliverySignal,
        DatabaseReadiness readiness,
        IOptions<DatabaseOptions> database,
        IHostApplicationLifetime lifetime,
        TimeProvider timeProvider,
        ILogger<GroupCommitIntake> logger)
    {
        (_scopeFactory, _protector, _deliverySignal, _readiness) = (scopeFactory, protector, deliverySignal, readiness);
        (_database, _lifetime, _timeProvider, _logger) = (database, lifetime, timeProvider, logger);
        _commits = new GroupCommit<PendingCommit>(CommitGroupAsync, MaxGroupSize);
    }

    /// <remarks>
    /// <paramref name="cancellationToken"/> withdraws the message only while it waits for a commit; once a commit
    /// has taken it, the caller waits for that commit's outcome (see <see cref="GroupCommit{T}"/>).
    /// </remarks>
    public async Task<Guid> AcceptAsync(IncomingMessage message, CancellationToken cancellationToken)
    {
        var now = _timeProvider.GetUtcNow();
        var id = Guid.CreateVersion7(now);
        var entity = new QueuedMessage
        {
            Id = id,
            EnvelopeFrom = message.EnvelopeFrom,
            ReceivedAt = now,
            Size = message.Content.Length,
            ClientAddress = message.ClientAddress,
            AuthenticatedUser = message.AuthenticatedUser,
            Kind = message.Kind,
            RequireTls = message.RequireTls,
            InReplyToMessageId = message.InReplyToMessageId,
            RepliedBy = message.RepliedBy,
            Recipients = message.Recipients.Select(address => QueuedRecipient.Create(id, address, now)).ToList(),
        };
        // Large messages on SQLite are sealed by the commit straight into the database (see SealedContent): the
        // session's buffer stays valid until this method returns, which is after the commit.
        var streamed = SealedContent.Streams(_database.Value, message.Content.Length);
        var pending = new PendingCommit(entity, streamed ? null : _protector.Seal(id, message.Content), streamed ? message.Content : default);
        try
        {
            await _commits.CommitAsync(pending, cancellationToken);
        }
        catch (OperationCanceledException ex)
        {
            // Withdrawn before any commit took it (the session ended, or the server is stopping): nothing was stored.
            throw new IntakeUnavailableException("The message was withdrawn before it was stored.", ex);
        }

        return id;
    }

    private async Task CommitGroupAsync(IReadOnlyList<PendingCommit> group)
    {
        try
        {
            // Before migrations are applied there is nowhere to commit; a shutdown meanwhile refuses with a 4xx.
            await _readiness.WhenReady.WaitAsync(_lifetime.ApplicationStopping);
            await using var scope = _scopeFactory.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();

            // Not cancellable: once started, the commit must finish so no caller is left unsure of its fate. Plain
            // inserts, not SaveChanges: the write gate is held meanwhile, and every session waits behind it.
            await using var write = await db.BeginWriteAsync(WriteDurability.Full, CancellationToken.None);
            await write.InsertAllAsync([.. group.Select(i => i.Message)], CancellationToken.None);
            await write.InsertAllAsync([.. group.SelectMany(i => i.Message.Recipients)], CancellationToken.None);
            await write.InsertAllAsync([.. group.Select(i => i.Content).OfType<MessageContent>()], CancellationToken.None);
            foreach (var item in group.Where(i => i.Content is null))
            {
                await SealedContent.InsertStreamingAsync(db, _protector, item.Message.Id, item.Plaintext, CancellationToken.None);
            }

            await write.CommitAsync(CancellationToken.None);
        }
        catch (Exception ex)
        {
            Log.GroupCommitFailed(_logger, group.Count, ex);
            throw new IntakeUnavailableException("The queue could not store the message.", ex);
        }

        Log.GroupCommitted(_logger, group.Count);
        _deliverySignal.Notify();
    }

    /// <summary>A message to commit with its sealed content, or (large, on SQLite) the plaintext to seal into the row.</summary>
    private sealed record PendingCommit(QueuedMessage Message, MessageContent? Content, ReadOnlySequence<byte> Plaintext);

    private static partial class Log
    {
        [LoggerMessage(EventId = 2001, Level = LogLevel.Error, Message = "Committing a group of {Count} messages failed; their clients get a temporary failure")]
        public static partial void GroupCommitFailed(ILogger logger, int count, Exception exception);

        [LoggerMessage(EventId = 2002, Level = LogLevel.Trace, Message = "Committed a group of {Count} messages")]
        public static partial void GroupCommitted(ILogger logger, int count);
    }
}
