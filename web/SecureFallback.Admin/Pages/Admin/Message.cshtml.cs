using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using SecureFallback.Core.Messages;

namespace SecureFallback.Admin.Pages.Admin;

/// <summary>One message's trail: envelope, each recipient's decision and outcome, every attempt. Never the content.</summary>
public sealed class MessageModel(AdminQueries queries) : PageModel
{
    public QueuedMessage Message { get; private set; } = null!;

    public List<DeliveryAttempt> Attempts { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken cancellationToken)
    {
        var (message, attempts) = await queries.TrailAsync(id, cancellationToken);
        if (message is null)
        {
            return NotFound();
        }

        (Message, Attempts) = (message, attempts);
        return Page();
    }
}
