using Microsoft.AspNetCore.Mvc.RazorPages;

namespace SecureFallback.Portal.Pages;

public sealed class InboxModel(HeldMessages held, RevokedCopies revoked) : PageModel
{
    public List<HeldMessageSummary> Messages { get; private set; } = [];

    /// <summary>Copies the sender or an administrator revoked: listed without anything of the message.</summary>
    public List<RevokedCopy> Revoked { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        Messages = await held.ListAsync(User.Identity!.Name!, cancellationToken);
        Revoked = await revoked.ListAsync(User.Identity!.Name!, cancellationToken);
    }
}
