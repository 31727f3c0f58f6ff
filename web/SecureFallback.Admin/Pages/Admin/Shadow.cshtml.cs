using Microsoft.AspNetCore.Mvc.RazorPages;

namespace SecureFallback.Admin.Pages.Admin;

/// <summary>
/// The shadow report: of the recent deliveries over TLS, how many a stricter level would have refused (and so sent
/// to pickup or bounced), per domain — to see what raising a policy would do before enforcing it.
/// </summary>
public sealed class ShadowModel(AdminQueries queries) : PageModel
{
    public int Days { get; private set; } = 30;

    public List<ShadowRow> Rows { get; private set; } = [];

    public async Task OnGetAsync(int? days, CancellationToken cancellationToken)
    {
        Days = Math.Clamp(days ?? 30, 1, 365);
        Rows = await queries.ShadowAsync(TimeSpan.FromDays(Days), cancellationToken);
    }
}
