using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using SecureFallback.Core.Policies;
using SecureFallback.Data;
using SecureFallback.Data.Writes;

namespace SecureFallback.Admin.Pages.Admin;

/// <summary>
/// Policy and rule editor. Changes are stored with source <c>console</c> and apply to the next delivery.
/// Entries that also appear in settings are written over by settings at the next start (the page says so).
/// </summary>
public sealed class PoliciesModel(SecureFallbackDbContext db, IPolicyChanges changes, TimeProvider timeProvider) : PageModel
{
    public List<TlsPolicy> Policies { get; private set; } = [];

    public List<ContentRule> Rules { get; private set; } = [];

    public List<string> Errors { get; } = [];

    public string? Notice { get; private set; }

    public async Task OnGetAsync(CancellationToken cancellationToken) => await LoadAsync(cancellationToken);

    public async Task<IActionResult> OnPostSavePolicyAsync(string pattern, string level, string onFailure, string? retryTlsFor, bool honourTlsRequiredNo, CancellationToken cancellationToken)
    {
        pattern = (pattern ?? "").Trim().ToLowerInvariant();
        if (!TlsPolicy.IsValidPattern(pattern))
        {
            Errors.Add($"'{pattern}' is not default, a domain (partner.example) or *.domain.");
        }

        if (!PolicyNames.TryParseLevel(level, out var parsedLevel))
        {
            Errors.Add("Choose a level.");
        }

        if (!PolicyNames.TryParseAction(onFailure, out var parsedAction))
        {
            Errors.Add("Choose what happens on failure.");
        }

        var retry = TimeSpan.FromHours(4);
        if (!string.IsNullOrWhiteSpace(retryTlsFor) && (!TimeSpan.TryParse(retryTlsFor, System.Globalization.CultureInfo.InvariantCulture, out retry) || retry <= TimeSpan.Zero))
        {
            Errors.Add("Retry TLS for must be a positive time span such as 04:00:00.");
        }

        if (Errors.Count == 0)
        {
            var policy = await db.TlsPolicies.SingleOrDefaultAsync(p => p.Pattern == pattern, cancellationToken) ?? db.TlsPolicies.Add(new TlsPolicy { Pattern = pattern }).Entity;
            (policy.Level, policy.OnFailure, policy.RetryTlsFor, policy.HonourTlsRequiredNo) = (parsedLevel, parsedAction, retry, honourTlsRequiredNo);
            (policy.Source, policy.UpdatedAt) = ("console", timeProvider.GetUtcNow());
            await WriteAsync(() => db.SaveChangesAsync(cancellationToken), cancellationToken);
            Notice = $"Saved the policy for {pattern}.";
        }

        await LoadAsync(cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnPostDeletePolicyAsync(string pattern, CancellationToken cancellationToken)
    {
        await WriteAsync(() => db.TlsPolicies.Where(p => p.Pattern == pattern).ExecuteDeleteAsync(cancellationToken), cancellationToken);
        Notice = $"Deleted the policy for {pattern}.";
        await LoadAsync(cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnPostAddRuleAsync(int position, string? subjectContains, string? headerName, string? headerContains, string? senderAddress, string? recipientDomain, string action, CancellationToken cancellationToken)
    {
        var rule = new ContentRule
        {
            Position = position,
            SubjectContains = Clean(subjectContains),
            HeaderName = Clean(headerName),
            HeaderContains = Clean(headerContains),
            SenderAddress = Clean(senderAddress),
            RecipientDomain = Clean(recipientDomain)?.ToLowerInvariant(),
            Action = (action ?? "").Trim().ToLowerInvariant(),
            Source = "console",
        };
        if (rule.SubjectContains is null && rule.HeaderName is null && rule.SenderAddress is null && rule.RecipientDomain is null)
        {
            Errors.Add("A rule needs at least one condition.");
        }

        if (rule.Action != "pickup" && rule.Action != PolicyEvaluator.PickupWithPinAction && !PolicyNames.TryParseLevel(rule.Action, out _))
        {
            Errors.Add("Choose the rule's action.");
        }

        if (Errors.Count == 0)
        {
            db.ContentRules.Add(rule);
            await WriteAsync(() => db.SaveChangesAsync(cancellationToken), cancellationToken);
            Notice = $"Added {rule.Describe()}.";
        }

        await LoadAsync(cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnPostDeleteRuleAsync(int id, CancellationToken cancellationToken)
    {
        await WriteAsync(() => db.ContentRules.Where(r => r.Id == id).ExecuteDeleteAsync(cancellationToken), cancellationToken);
        Notice = "Deleted the rule.";
        await LoadAsync(cancellationToken);
        return Page();
    }

    /// <summary>One write as this process's only writer (deletes too, not only saves), then the change signal.</summary>
    private async Task WriteAsync(Func<Task<int>> write, CancellationToken cancellationToken)
    {
        await using (var transaction = await db.BeginWriteAsync(WriteDurability.Full, cancellationToken))
        {
            await write();
            await transaction.CommitAsync(cancellationToken);
        }

        changes.Changed();
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        Policies = await db.TlsPolicies.AsNoTracking().OrderBy(p => p.Pattern == TlsPolicy.DefaultPattern ? 0 : 1).ThenBy(p => p.Pattern).ToListAsync(cancellationToken);
        Rules = await db.ContentRules.AsNoTracking().OrderBy(r => r.Position).ThenBy(r => r.Id).ToListAsync(cancellationToken);
    }

    private static string? Clean(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}
