using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SecureFallback.Core.Messages;
using SecureFallback.Data;
using SecureFallback.Data.Content;
using SecureFallback.Data.Writes;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

/// <summary>
/// What a message page shows is kept in memory after a first, whole and verified read (issue 18), and used again only
/// once this request's own checks in the database passed and the database still holds the sealed copy: whatever
/// another instance (or process) changed in the database between two views takes effect at the very next view.
/// </summary>
public sealed partial class RevokeAndExtendTests
{
    [Fact]
    public async Task ViewingAHeldMessageAgain_DoesNotOpenTheStoredCopy_ButDownloadsDo()
    {
        var opens = new OpenCounter();
        await using var held = await HeldAsync([Carol], services: opens.Install);
        using var carol = new PortalVisitor(held.Server.WebAddress);
        var path = await RegisterAsync(carol, held);
        Assert.Contains("carol-marker-body", await ReadAsync(carol, path));
        Assert.Equal(1, opens.Count); // the first view reads and verifies the whole copy

        Assert.Contains("carol-marker-body", await ReadAsync(carol, path));
        Assert.Contains("carol-marker-body", await ReadAsync(carol, path));
        Assert.Equal(1, opens.Count);

        Assert.Contains("carol-marker-body", await ReadAsync(carol, path + "?handler=eml"));
        Assert.Equal(2, opens.Count);
    }

    /// <summary>
    /// Each change another instance may make between two views, written straight to the database (no in-memory
    /// notice reaches this instance): the view after it shows nothing of the message, though the one before it was
    /// served from memory.
    /// </summary>
    [Theory]
    [InlineData("shredded", HttpStatusCode.NotFound, null)]
    [InlineData("expired", HttpStatusCode.NotFound, null)]
    [InlineData("locked", HttpStatusCode.NotFound, null)]
    [InlineData("revoked", HttpStatusCode.OK, "Revoked by the administrator on")]
    [InlineData("delivered", HttpStatusCode.OK, "Delivered to your mailbox")]
    public async Task HeldMessageChangedInTheDatabaseBetweenViews_IsNotShownFromMemory(string change, HttpStatusCode status, string? says)
    {
        var opens = new OpenCounter();
        await using var held = await HeldAsync([Carol], services: opens.Install);
        using var carol = new PortalVisitor(held.Server.WebAddress);
        var path = await RegisterAsync(carol, held);
        Assert.Contains("carol-marker-body", await ReadAsync(carol, path));
        Assert.Contains("carol-marker-body", await ReadAsync(carol, path));
        var messageId = (await RecipientAsync(held.Server, Carol)).MessageId;

        await ChangeAsync(held.Server, messageId, change);

        using var response = await carol.SendAsync(HttpMethod.Get, path);
        var page = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
        Assert.Equal(status, response.StatusCode);
        Assert.DoesNotContain("carol-marker-body", page);
        if (says is not null)
        {
            Assert.Contains(says, page);
        }
    }

    private static async Task ChangeAsync(SecureFallbackInstance server, Guid messageId, string change)
    {
        await using var scope = server.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
        var now = DateTimeOffset.UtcNow;
        await using var write = await db.BeginWriteAsync(WriteDurability.Full, CancellationToken.None);
        var recipients = db.Recipients.Where(r => r.MessageId == messageId);
        var grants = db.PickupGrants.Where(g => g.MessageId == messageId);
        var changed = change switch
        {
            "shredded" => await db.MessageContents.Where(c => c.MessageId == messageId).ExecuteDeleteAsync(),
            "expired" => await grants.ExecuteUpdateAsync(s => s.SetProperty(g => g.ExpiresAt, now.AddMinutes(-1))),
            "locked" => await recipients.ExecuteUpdateAsync(s => s.SetProperty(r => r.PickupLockedAt, now)),
            "revoked" => await recipients.ExecuteUpdateAsync(s => s
                .SetProperty(r => r.Status, RecipientStatus.Revoked)
                .SetProperty(r => r.RevokedAt, now)
                .SetProperty(r => r.RevokedBy, RevokedBy.Administrator)),
            "delivered" => await grants.ExecuteUpdateAsync(s => s.SetProperty(g => g.RedeliveryClaimedAt, now))
                + await recipients.ExecuteUpdateAsync(s => s.SetProperty(r => r.Status, RecipientStatus.Delivered).SetProperty(r => r.CompletedAt, now)),
            _ => throw new ArgumentOutOfRangeException(nameof(change)),
        };
        Assert.True(changed > 0, change);
        await write.CommitAsync();
    }

    /// <summary>Counts the times an HTTP request opens a stored copy (the delivery side's reads are not counted).</summary>
    private sealed class OpenCounter
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public void Install(IServiceCollection services)
        {
            var reader = services.Last(s => s.ServiceType == typeof(ISealedContentReader));
            services.AddScoped<ISealedContentReader>(sp => new Counting(
                (ISealedContentReader)ActivatorUtilities.CreateInstance(sp, reader.ImplementationType!), this));
        }

        private sealed class Counting(ISealedContentReader inner, OpenCounter counter) : ISealedContentReader
        {
            public Task<Stream?> OpenAsync(Guid messageId, CancellationToken cancellationToken)
            {
                if (DatabaseCommandCounter.InRequest())
                {
                    Interlocked.Increment(ref counter._count);
                }

                return inner.OpenAsync(messageId, cancellationToken);
            }
        }
    }
}
