using Microsoft.EntityFrameworkCore;
using SecureFallback.Data;

namespace SecureFallback.Server.Keys;

/// <summary>Which master key versions the stored messages need: counts and a few samples, never the bodies.</summary>
internal static class SealedContentInventory
{
    public sealed record WrappedKey(Guid MessageId, int KeyVersion, byte[] Key);

    public static async Task<Dictionary<int, int>> CountByVersionAsync(SecureFallbackDbContext db, CancellationToken cancellationToken) =>
        await db.MessageContents.AsNoTracking()
            .GroupBy(c => c.KeyVersion)
            .Select(g => new { Version = g.Key, Count = g.Count() })
            .ToDictionaryAsync(g => g.Version, g => g.Count, cancellationToken);

    public static Task<List<WrappedKey>> SamplesAsync(SecureFallbackDbContext db, int version, int count, CancellationToken cancellationToken) =>
        db.MessageContents.AsNoTracking()
            .Where(c => c.KeyVersion == version)
            .Select(c => new WrappedKey(c.MessageId, c.KeyVersion, c.WrappedKey))
            .Take(count)
            .ToListAsync(cancellationToken);
}
