using Microsoft.AspNetCore.Mvc.RazorPages;

namespace SecureFallback.Portal.Pages;

public sealed class InboxModel(HeldMessages held) : PageModel
{
    public List<HeldMessageSummary> Messages { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken cancellationToken) =>
        Messages = await held.ListAsync(User.Identity!.Name!, cancellationToken);
}
