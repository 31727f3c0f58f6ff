using System.Xml.Linq;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SecureFallback.Core;
using SecureFallback.Data;
using SecureFallback.Protection;

namespace SecureFallback.Server.Keys;

/// <summary>
/// The portal's Data Protection keys, each sealed under a master key version: files under the data directory, or
/// rows of the shared database with PostgreSQL. What the key checks and <c>keys rotate</c> need of them.
/// </summary>
internal sealed class SealedPortalKeys(SecureFallbackDbContext db, bool inDatabase, string directory)
{
    public static SealedPortalKeys For(SecureFallbackDbContext db, IServiceProvider services) => new(
        db,
        services.GetRequiredService<IOptions<DatabaseOptions>>().Value.IsPostgres,
        services.GetRequiredService<IOptions<DataDirectoryOptions>>().Value.Resolve("dataprotection"));

    /// <summary>Master key versions the keys need, with how many need each.</summary>
    public async Task<Dictionary<int, int>> VersionsAsync(CancellationToken cancellationToken)
    {
        if (!inDatabase)
        {
            return SealedKeyFiles.VersionsIn(directory);
        }

        var rows = await db.DataProtectionKeys.AsNoTracking().Select(k => k.Xml).ToListAsync(cancellationToken);
        return SealedKeyFiles.VersionsOf(rows.Where(x => x is not null).Select(x => XElement.Parse(x!)));
    }

    /// <summary>Re-wraps every key under the current master key version; returns how many changed.</summary>
    public async Task<int> RewrapAsync(ChunkedAesGcmProtector protector, CancellationToken cancellationToken)
    {
        if (!inDatabase)
        {
            return SealedKeyFiles.Rewrap(directory, protector);
        }

        var changed = 0;
        foreach (var row in await db.DataProtectionKeys.Where(k => k.Xml != null).ToListAsync(cancellationToken))
        {
            var key = XElement.Parse(row.Xml!);
            if (SealedKeyFiles.Rewrap(key, protector))
            {
                row.Xml = key.ToString(SaveOptions.DisableFormatting);
                changed++;
            }
        }

        await db.SaveChangesAsync(cancellationToken);
        return changed;
    }
}
