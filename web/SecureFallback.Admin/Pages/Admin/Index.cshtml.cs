using Microsoft.AspNetCore.Mvc.RazorPages;
using SecureFallback.Core.Messages;

namespace SecureFallback.Admin.Pages.Admin;

/// <summary>Dashboard: where mail ended up, a chart over the last two weeks, domains lacking TLS, recent messages.</summary>
public sealed class IndexModel(AdminQueries queries) : PageModel
{
    public const int ChartDays = 14;

    public StatusCounts Counts { get; private set; } = new(0, 0, 0, 0, 0, 0, 0);

    public List<DayCounts> Days { get; private set; } = [];

    public List<DomainCount> DomainsLackingTls { get; private set; } = [];

    public List<QueuedMessage> Recent { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        Counts = await queries.CountsAsync(cancellationToken);
        Days = await queries.DaysAsync(ChartDays, cancellationToken);
        DomainsLackingTls = await queries.DomainsLackingTlsAsync(10, cancellationToken);
        Recent = await queries.RecentMessagesAsync(50, cancellationToken);
    }
}
