using System.Buffers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SecureFallback.Core.Intake;
using SecureFallback.Data;
using SecureFallback.Data.Content;
using SecureFallback.Data.Writes;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

/// <summary>
/// Large content is sealed on SQLite straight from the session's buffer, during the commit: the buffer must outlive
/// every read of it, even when the session's wait is cancelled while the commit is in flight.
/// </summary>
public sealed class IntakeStreamingTests
{
    [Fact]
    public async Task LargeMessage_CancelledWhileItsCommitIsInFlight_ReturnsOnlyAfterTheCommit_AndStoresWhatWasSent()
    {
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Delivery:Routes:example.test"] = "127.0.0.1:9",
            ["SecureFallback:Delivery:RetrySchedule:0"] = "01:00:00",
        });
        var sent = new byte[(2 * 1024 * 1024) + 12345]; // over SealedContent.StreamingThreshold (1 MiB): streamed on SQLite
        Random.Shared.NextBytes(sent);
        var buffer = sent.ToArray(); // the session's pipe memory, which SmtpServer reuses once the wait is over
        var sender = $"big-{Guid.NewGuid():N}@sender.test";
        var intake = server.Services.GetRequiredService<IMessageIntake>();

        // The commit is held up behind another writer, so the cancellation comes while it is in flight.
        await using var blockerScope = server.Services.CreateAsyncScope();
        var blockerDb = blockerScope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
        var blocker = await blockerDb.BeginWriteAsync(WriteDurability.Full, CancellationToken.None);
        using var session = new CancellationTokenSource();
        var accepting = intake.AcceptAsync(
            new IncomingMessage(sender, ["bob@example.test"], new ReadOnlySequence<byte>(buffer), "127.0.0.1", null),
            session.Token);
        await Task.Delay(TimeSpan.FromMilliseconds(300));
        await session.CancelAsync();
        var released = Task.Run(async () =>
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            await blocker.DisposeAsync();
        });

        Guid? id = null;
        try
        {
            id = await accepting;
        }
        catch (Exception ex) when (ex is OperationCanceledException or IntakeUnavailableException)
        {
            // Refusing is allowed; leaving while the commit still reads the buffer is not (checked below).
        }

        var storedWhenAcceptReturned = await MessageIdOfAsync(server, sender);
        Array.Fill(buffer, (byte)0xEE); // SmtpServer hands the memory to the next read
        await released;

        // Whatever the caller was told, the message the commit wrote (if any) must hold exactly what was sent.
        var stored = await WaitForMessageIdAsync(server, sender);
        await using var scope = server.Services.CreateAsyncScope();
        await using var content = await scope.ServiceProvider.GetRequiredService<ISealedContentReader>().OpenAsync(stored, CancellationToken.None);
        using var read = new MemoryStream();
        await content!.CopyToAsync(read);
        var intact = sent.AsSpan().SequenceEqual(read.ToArray());

        Assert.True(
            storedWhenAcceptReturned is not null && intact,
            $"AcceptAsync {(id is null ? "threw" : "returned")} {(storedWhenAcceptReturned is null ? "before" : "after")} its commit; the stored content is {(intact ? "" : "NOT ")}what was sent");
        Assert.Equal(id, stored);
    }

    private static async Task<Guid> WaitForMessageIdAsync(SecureFallbackInstance server, string envelopeFrom)
    {
        var started = TimeProvider.System.GetTimestamp();
        while (true)
        {
            if (await MessageIdOfAsync(server, envelopeFrom) is { } id)
            {
                return id;
            }

            Assert.True(TimeProvider.System.GetElapsedTime(started) < TimeSpan.FromSeconds(30), "the message was never committed");
            await Task.Delay(50);
        }
    }

    private static async Task<Guid?> MessageIdOfAsync(SecureFallbackInstance server, string envelopeFrom)
    {
        await using var scope = server.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
        var ids = await db.Messages.AsNoTracking().Where(m => m.EnvelopeFrom == envelopeFrom).Select(m => m.Id).ToListAsync();
        return ids.Count == 0 ? null : ids.Single();
    }
}
