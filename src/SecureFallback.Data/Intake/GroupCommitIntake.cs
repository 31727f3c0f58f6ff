using System.Buffers;
using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SecureFallback.Core.Intake;
using SecureFallback.Core.Messages;
using SecureFallback.Data.Content;
using SecureFallback.Data.Writes;

namespace SecureFallback.Data.Intake;

/// <summary>
/// Commits accepted messages in groups: every session seals its own message, then waits while one writer commits
/// all messages that arrived meanwhile in a single transaction (one fsync for the group). Each caller is released
/// only after the transaction holding its message committed, so the 250 still follows a durable commit.
/// </summary>
internal sealed partial class GroupCommitIntake(
    IServiceScopeFactory scopeFactory,
    IContentProtector protector,
    IDeliverySignal deliverySignal,
    DatabaseReadiness readiness,
    Microsoft.Extensions.Options.IOptions<DatabaseOptions> database,
    TimeProvider timeProvider,
    ILogger<GroupCommitIntake> logger) : BackgroundService, IMessageIntake
{
    private const int MaxGroupSize = 512;

    private readonly Channel<PendingCommit> _pending = Channel.CreateBounded<PendingCommit>(
        new BoundedChannelOptions(8192) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    public async Task<Guid> AcceptAsync(IncomingMessage message, CancellationToken cancellationToken)
    {
        var id = Guid.CreateVersion7(timeProvider.GetUtcNow());
        var now = timeProvider.GetUtcNow();
        var entity = new QueuedMessage
        {
            Id = id,
            EnvelopeFrom = message.EnvelopeFrom,
            ReceivedAt = now,
            Size = message.Content.Length,
            ClientAddress = message.ClientAddress,
            AuthenticatedUser = message.AuthenticatedUser,
            Kind = MessageKind.Submitted,
            RequireTls = message.RequireTls,
            Recipients = message.Recipients.Select(address => QueuedRecipient.Create(id, address, now)).ToList(),
        };
        // Large messages on SQLite are sealed by the writer straight into the database (see SealedContent): the
        // session's buffer stays valid until this method returns, which is after the commit.
        var streamed = SealedContent.Streams(database.Value, message.Content.Length);
        var pending = new PendingCommit(entity, streamed ? null : protector.Seal(id, message.Content), streamed ? message.Content : default);

        try
        {
            await _pending.Writer.WriteAsync(pending, cancellationToken);
        }
        catch (ChannelClosedException ex)
        {
            throw new IntakeUnavailableException("The queue is shutting down.", ex);
        }

        await pending.Committed.Task.WaitAsync(cancellationToken);
        return id;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await readiness.WhenReady.WaitAsync(stoppingToken);
        var reader = _pending.Reader;
        var group = new List<PendingCommit>(MaxGroupSize);
        try
        {
            while (await reader.WaitToReadAsync(stoppingToken))
            {
                while (group.Count < MaxGroupSize && reader.TryRead(out var next))
                {
                    group.Add(next);
                }

                await CommitGroupAsync(group);
                group.Clear();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: refuse what is still waiting, so those clients get a 4xx and retry later.
            _pending.Writer.TryComplete();
            while (reader.TryRead(out var left))
            {
                left.Committed.TrySetException(new IntakeUnavailableException("The queue is shutting down."));
            }
        }
    }

    private async Task CommitGroupAsync(List<PendingCommit> group)
    {
        try
        {
            await using var scope = scopeFactory.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
            db.ChangeTracker.AutoDetectChangesEnabled = false;
            foreach (var item in group)
            {
                db.Messages.Add(item.Message);
                if (item.Content is not null)
                {
                    db.MessageContents.Add(item.Content);
                }
            }

            // Not cancellable: once started, the commit must finish so no caller is left unsure of its fate.
            await using var write = await db.BeginWriteAsync(WriteDurability.Full, CancellationToken.None);
            await db.SaveChangesAsync(CancellationToken.None);
            foreach (var item in group.Where(i => i.Content is null))
            {
                await SealedContent.InsertStreamingAsync(db, protector, item.Message.Id, item.Plaintext, CancellationToken.None);
            }

            await write.CommitAsync(CancellationToken.None);
        }
        catch (Exception ex)
        {
            Log.GroupCommitFailed(logger, group.Count, ex);
            foreach (var item in group)
            {
                item.Committed.TrySetException(new IntakeUnavailableException("The queue could not store the message.", ex));
            }

            return;
        }

        foreach (var item in group)
        {
            item.Committed.TrySetResult();
        }

        Log.GroupCommitted(logger, group.Count);
        deliverySignal.Notify();
    }

    /// <summary>A message to commit with its sealed content, or (large, on SQLite) the plaintext to seal into the row.</summary>
    private sealed class PendingCommit(QueuedMessage message, MessageContent? content, ReadOnlySequence<byte> plaintext)
    {
        public QueuedMessage Message { get; } = message;

        public MessageContent? Content { get; } = content;

        public ReadOnlySequence<byte> Plaintext { get; } = plaintext;

        public TaskCompletionSource Committed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2001, Level = LogLevel.Error, Message = "Committing a group of {Count} messages failed; their clients get a temporary failure")]
        public static partial void GroupCommitFailed(ILogger logger, int count, Exception exception);

        [LoggerMessage(EventId = 2002, Level = LogLevel.Trace, Message = "Committed a group of {Count} messages")]
        public static partial void GroupCommitted(ILogger logger, int count);
    }
}
