using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using MimeKit;

namespace SecureFallback.Portal.Pages;

/// <summary>One held message, shown as plain text (Razor encodes it); only ever the signed-in recipient's own.</summary>
public sealed class MessageModel(HeldMessages held) : PageModel
{
    public MimeMessage Message { get; private set; } = null!;

    public async Task<IActionResult> OnGetAsync(Guid id, CancellationToken cancellationToken)
    {
        var message = await held.ReadAsync(User.Identity!.Name!, id, cancellationToken);
        if (message is null)
        {
            return NotFound();
        }

        Message = message;
        return Page();
    }
}
