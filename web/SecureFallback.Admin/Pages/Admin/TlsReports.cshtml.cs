using Microsoft.AspNetCore.Mvc.RazorPages;

namespace SecureFallback.Admin.Pages.Admin;

/// <summary>
/// TLS reports (RFC 8460): per recipient domain, the last daily report sent to the addresses it publishes, with its
/// session counts — what that domain's postmaster was told about its TLS.
/// </summary>
public sealed class TlsReportsModel(AdminQueries queries) : PageModel
{
    public int Days { get; private set; } = 90;

    public List<TlsReportRow> Rows { get; private set; } = [];

    public async Task OnGetAsync(int? days, CancellationToken cancellationToken)
    {
        Days = Math.Clamp(days ?? 90, 1, 400);
        Rows = await queries.LastTlsReportsAsync(Days, cancellationToken);
    }
}
