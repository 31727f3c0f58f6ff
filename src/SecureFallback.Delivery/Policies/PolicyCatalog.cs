using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SecureFallback.Core.Pickup;
using SecureFallback.Core.Policies;
using SecureFallback.Data;

namespace SecureFallback.Delivery.Policies;

/// <summary>
/// The policies and rules in force, read from the database (where the console edits them) and cached briefly.
/// On first use after start, the entries from settings are written over their stored copies (settings win at start;
/// console edits of other entries stay), and settings rules replace the previous settings rules.
/// </summary>
public sealed class PolicyCatalog(
    IServiceScopeFactory scopeFactory,
    IOptions<PolicyOptions> settings,
    IOptions<PickupOptions> pickup,
    TimeProvider timeProvider) : IPolicyChanges
{
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);
    private readonly SemaphoreSlim _loading = new(1, 1);
    private PolicyEvaluator? _current;
    private DateTimeOffset _loadedAt;
    private bool _seeded;

    public async Task<PolicyEvaluator> GetAsync(CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        if (_current is { } current && now - _loadedAt < CacheFor)
        {
            return current;
        }

        await _loading.WaitAsync(cancellationToken);
        try
        {
            await using var scope = scopeFactory.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
            if (!_seeded)
            {
                await SeedAsync(db, cancellationToken);
                _seeded = true;
            }

            var policies = await db.TlsPolicies.AsNoTracking().ToListAsync(cancellationToken);
            var rules = await db.ContentRules.AsNoTracking().OrderBy(r => r.Position).ToListAsync(cancellationToken);
            (_current, _loadedAt) = (new PolicyEvaluator(policies, rules, pickup.Value.RequirePin), now);
            return _current;
        }
        finally
        {
            _loading.Release();
        }
    }

    /// <summary>Makes the next <see cref="GetAsync"/> read the database again (after a console edit).</summary>
    public void Changed() => _current = null;

    private async Task SeedAsync(SecureFallbackDbContext db, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var stored = await db.TlsPolicies.ToDictionaryAsync(p => p.Pattern, cancellationToken);
        var fromSettings = settings.Value.Policies.ToDictionary(p => p.Key.ToLowerInvariant(), p => p.Value);
        // Without a default in settings, the default follows Pickup:Enabled (pickup, or the 5.7.10 bounce).
        fromSettings.TryAdd(TlsPolicy.DefaultPattern, new PolicySetting());
        foreach (var (pattern, setting) in fromSettings)
        {
            if (stored.TryGetValue(pattern, out var existing) && existing.Source != "settings" && !settings.Value.Policies.ContainsKey(pattern))
            {
                continue; // an implicit default edited in the console stays as edited
            }

            var policy = existing ?? db.TlsPolicies.Add(new TlsPolicy { Pattern = pattern }).Entity;
            policy.Level = PolicyNames.TryParseLevel(setting.Level, out var level) ? level : TlsLevel.Encrypt;
            policy.OnFailure = PolicyNames.TryParseAction(setting.OnFailure, out var action) ? action : pickup.Value.Enabled ? FailureAction.Pickup : FailureAction.Bounce;
            policy.RetryTlsFor = setting.RetryTlsFor ?? TimeSpan.FromHours(4);
            policy.HonourTlsRequiredNo = setting.HonourTlsRequiredNo;
            policy.PickupPin = setting.PickupPin;
            policy.Source = "settings";
            policy.UpdatedAt = now;
        }

        foreach (var gone in stored.Values.Where(p => p.Source == "settings" && !fromSettings.ContainsKey(p.Pattern)))
        {
            db.TlsPolicies.Remove(gone);
        }

        db.ContentRules.RemoveRange(await db.ContentRules.Where(r => r.Source == "settings").ToListAsync(cancellationToken));
        foreach (var (index, rule) in settings.Value.Rules)
        {
            db.ContentRules.Add(new ContentRule
            {
                Position = index,
                SubjectContains = NullIfEmpty(rule.SubjectContains),
                HeaderName = NullIfEmpty(rule.HeaderName),
                HeaderContains = NullIfEmpty(rule.HeaderContains),
                SenderAddress = NullIfEmpty(rule.SenderAddress),
                RecipientDomain = NullIfEmpty(rule.RecipientDomain)?.ToLowerInvariant(),
                Action = rule.Action!.Trim().ToLowerInvariant(),
                Source = "settings",
            });
        }

        await db.SaveChangesAsync(cancellationToken);
    }

    private static string? NullIfEmpty(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}
