using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using SecureFallback.Data;

namespace SecureFallback.Portal.Pages;

/// <summary>
/// For the cautious recipient who types the portal address instead of clicking: address + reference code from the
/// notice lead to registration. When the address already has an account they lead to the same choice as the link:
/// "Sign in" and, under the same rule (<see cref="AccountDisowning.IsOfferedAsync"/>), "I did not create this
/// account", posted with the address and code as the proof of the mailbox. The code and the notice's link are one
/// credential: once either registered an account, neither registers another (an admin's <c>accounts remove</c> of a
/// disowned account must not hand the address back to whoever spent it).
/// </summary>
[EnableRateLimiting(PortalRateLimits.Credentials)]
public sealed class CodeModel(HeldMessages held, PortalAccounts accounts, AccountDisowning disowning, SignInManager<PortalUser> signIn) : PageModel
{

    public string? Address { get; private set; }

    /// <summary>The address already has an account: the page offers "Sign in" instead of registration.</summary>
    public bool HasAccount { get; private set; }

    /// <summary>Set with <see cref="HasAccount"/> when "I did not create this account" is offered.</summary>
    public bool NotMeOffered { get; private set; }

    /// <summary>The address's account was disowned: its messages are locked.</summary>
    public bool Disowned { get; private set; }

    public string? Code { get; private set; }

    public string? Error { get; private set; }

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostCheckAsync(string email, string code, CancellationToken cancellationToken)
    {
        var grant = await held.FindByReferenceAsync(email ?? "", code ?? "", cancellationToken);
        if (grant is null)
        {
            Error = this.Text("Code.Unknown");
            return Page();
        }

        if (await accounts.IsRegisteredAsync(grant.Address))
        {
            (Address, Code) = (grant.Address, code);
            Disowned = await disowning.IsDisownedAsync(grant.Address);
            HasAccount = !Disowned;
            NotMeOffered = HasAccount && await disowning.IsOfferedAsync(grant);
        }
        else if (grant.TokenUsedAt is null)
        {
            (Address, Code) = (grant.Address, code);
        }
        else
        {
            Error = this.Text("Code.Unknown"); // spent (by the link or this code): it registers nothing again
        }

        return Page();
    }

    /// <summary>"I did not create this account", proven by the address and reference code instead of the link.</summary>
    public async Task<IActionResult> OnPostNotMeAsync(string email, string code, CancellationToken cancellationToken)
    {
        var grant = await held.FindByReferenceAsync(email ?? "", code ?? "", cancellationToken);
        Disowned = grant is not null && (await disowning.DisownAsync(grant, cancellationToken) || await disowning.IsDisownedAsync(grant.Address));
        if (!Disowned)
        {
            Error = this.Text("Code.Unknown"); // nothing changed
        }

        return Page();
    }

    public async Task<IActionResult> OnPostRegisterAsync(string email, string code, string password, string confirm, CancellationToken cancellationToken)
    {
        var grant = await held.FindByReferenceAsync(email ?? "", code ?? "", cancellationToken);
        if (grant is not { TokenUsedAt: null })
        {
            Error = this.Text("Code.Unknown"); // unknown, or spent: the link and the code are one credential, used once
            return Page();
        }

        (Address, Code) = (grant.Address, code);
        if (password != confirm)
        {
            Error = this.Text("Password.Differ");
            return Page();
        }

        var (created, user) = await accounts.RegisterAsync(grant.Address, password ?? "", grant.Id);
        if (user is null)
        {
            Error = string.Join(" ", this.Describe(created.Errors));
            return Page();
        }

        await held.MarkTokenUsedAsync(grant, cancellationToken);
        await signIn.SignInAsync(user, isPersistent: false);
        return Redirect("/inbox");
    }
}
