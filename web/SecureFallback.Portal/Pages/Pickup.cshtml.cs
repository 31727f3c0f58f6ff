using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using SecureFallback.Core.Pickup;
using SecureFallback.Data;

namespace SecureFallback.Portal.Pages;

/// <summary>
/// The personal link from the pickup notice. The token proves the mailbox, so its first use registers an account for
/// exactly the grant's address (e-mail confirmed). Once that address has an account, the link means "sign in and open
/// this message": its owner goes to the message (through sign-in when signed out); it never signs anyone in by itself,
/// and to anyone else signed in it looks exactly like an unknown link. Signed out, its owner is offered "Sign in" and,
/// when the account was made after this notice by a non-admin (<see cref="AccountDisowning.IsOfferedAsync"/>), "I did
/// not create this account": the link's holder reads that mailbox, so if they did not make the account, someone else
/// who reads it did.
/// </summary>
[EnableRateLimiting(PortalRateLimits.Credentials)]
public sealed class PickupModel(HeldMessages held, PortalAccounts accounts, AccountDisowning disowning, SignInManager<PortalUser> signIn) : PageModel
{
    /// <summary>The grant, while its link can still create the account.</summary>
    public PickupGrant? Grant { get; private set; }

    /// <summary>Set for a signed-out visitor when the address has an account: where "Sign in" leads.</summary>
    public string? SignInUrl { get; private set; }

    /// <summary>Set with <see cref="SignInUrl"/> when "I did not create this account" is offered.</summary>
    public bool NotMeOffered { get; private set; }

    /// <summary>The address's account was disowned: its messages are locked.</summary>
    public bool Disowned { get; private set; }

    public List<string> Errors { get; } = [];

    public async Task<IActionResult> OnGetAsync(string token, CancellationToken cancellationToken)
    {
        var grant = await held.FindGrantAsync(token, cancellationToken);
        if (grant is null)
        {
            return Page();
        }

        if (!await accounts.IsRegisteredAsync(grant.Address))
        {
            Grant = grant.TokenUsedAt is null ? grant : null;
            return Page();
        }

        var message = $"/messages/{grant.Id}";
        if (await disowning.IsDisownedAsync(grant.Address))
        {
            Disowned = true;
            return Page();
        }

        if (User.Identity?.IsAuthenticated != true)
        {
            SignInUrl = "/login?ReturnUrl=" + Uri.EscapeDataString(message);
            NotMeOffered = await disowning.IsOfferedAsync(grant);
            return Page();
        }

        // Someone else's link: the same page as an unknown one, so it tells them nothing about the grant.
        return HeldMessages.IsFor(grant, User.Identity.Name) ? Redirect(message) : Page();
    }

    public async Task<IActionResult> OnPostAsync(string token, string password, string confirm, CancellationToken cancellationToken)
    {
        Grant = await held.FindUnusedGrantAsync(token, cancellationToken);
        if (Grant is null)
        {
            return Page();
        }

        if (password != confirm)
        {
            Errors.Add(this.Text("Password.Differ"));
            return Page();
        }

        var (created, user) = await accounts.RegisterAsync(Grant.Address, password ?? "", Grant.Id);
        if (user is null)
        {
            Errors.AddRange(this.Describe(created.Errors));
            return Page();
        }

        await held.MarkTokenUsedAsync(Grant, cancellationToken);
        await signIn.SignInAsync(user, isPersistent: false);
        return Redirect("/inbox");
    }

    /// <summary>"I did not create this account": locks the account and its messages, and tells the senders and admins.</summary>
    public async Task<IActionResult> OnPostNotMeAsync(string token, CancellationToken cancellationToken)
    {
        var grant = await held.FindGrantAsync(token, cancellationToken);
        Disowned = grant is not null && (await disowning.DisownAsync(grant, cancellationToken) || await disowning.IsDisownedAsync(grant.Address));
        return Page(); // when nothing was locked: the same page as an unknown link
    }
}
