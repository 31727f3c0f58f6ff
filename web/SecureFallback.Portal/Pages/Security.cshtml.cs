using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using SecureFallback.Core;
using SecureFallback.Core.Branding;
using SecureFallback.Core.Pickup;
using SecureFallback.Data;

namespace SecureFallback.Portal.Pages;

/// <summary>
/// Two-step sign-in with an authenticator app (TOTP, RFC 6238), with recovery codes: optional for recipients, one of
/// the two ways (with a passkey) an admin must have. Turning it on or off needs a session that passed a second step,
/// unless this is the account's first; an admin's last second step is never turned off.
/// </summary>
[EnableRateLimiting(PortalRateLimits.Credentials)]
public sealed class SecurityModel(UserManager<PortalUser> users, IUserStore<PortalUser> store, SignInManager<PortalUser> signIn, IAccountMail mail, IOptions<BrandingOptions> branding) : PageModel
{
    public bool TwoFactorEnabled { get; private set; }

    /// <summary>The authenticator key, in groups of four for typing by hand.</summary>
    public string? SetupKey { get; private set; }

    /// <summary>The <c>otpauth://</c> URI, also shown as a QR code (a data: image, allowed by the portal's CSP).</summary>
    public string? SetupUri { get; private set; }

    public IReadOnlyList<string> RecoveryCodes { get; private set; } = [];

    public string? Error { get; private set; }

    public string? Notice { get; private set; }

    /// <summary>An admin whose session has no second step: the console stays closed until it has one.</summary>
    public bool AdminNeedsSecondStep { get; private set; }

    /// <summary>An authenticator app or a passkey is set up.</summary>
    public bool HasSecondStep { get; private set; }

    /// <summary>The account has at least one passkey.</summary>
    public bool HasPasskey { get; private set; }

    public bool IsAdmin { get; private set; }

    /// <summary>This session may turn the authenticator on or off (<see cref="PortalPasskeys.MayChangeSecondStepAsync"/>).</summary>
    public bool MayChange { get; private set; }

    private bool _passedSecondStep;

    public async Task<IActionResult> OnGetAsync()
    {
        var user = await users.GetUserAsync(User);
        if (user is null)
        {
            return Redirect("/login");
        }

        await ShowAsync(user);
        return Page();
    }

    public async Task<IActionResult> OnPostEnableAsync(string code)
    {
        var user = await users.GetUserAsync(User);
        if (user is null)
        {
            return Redirect("/login");
        }

        if (!await PortalPasskeys.MayChangeSecondStepAsync(users, user, User))
        {
            return await RefuseAsync(user);
        }

        if (!await VerifyAsync(user, code))
        {
            Error = this.Text("Security.WrongCode");
            await ShowAsync(user);
            return Page();
        }

        var first = !await PortalPasskeys.HasSecondStepAsync(users, user);
        await users.SetTwoFactorEnabledAsync(user, true);
        RecoveryCodes = (await users.GenerateNewTwoFactorRecoveryCodesAsync(user, 8))?.ToList() ?? [];
        if (first && !SecondStepClaim.IsIn(User))
        {
            // The account's first second step, proven just now with its code: this session has passed it too.
            await signIn.SignInWithClaimsAsync(user, isPersistent: false, [SecondStepClaim.Create()]);
            _passedSecondStep = true; // the new cookie goes out with this answer; User is still the old principal
        }
        else
        {
            await signIn.RefreshSignInAsync(user);
        }

        await PortalPasskeys.MailChangeAsync(mail, user, "An authenticator app was turned on.", HttpContext.RequestAborted);
        Notice = this.Text("Security.NowOn");
        await ShowAsync(user);
        return Page();
    }

    public async Task<IActionResult> OnPostDisableAsync(string code)
    {
        var user = await users.GetUserAsync(User);
        if (user is null)
        {
            return Redirect("/login");
        }

        if (!await PortalPasskeys.MayChangeSecondStepAsync(users, user, User))
        {
            return await RefuseAsync(user);
        }

        if (await PortalPasskeys.WouldLeaveAdminWithoutSecondStepAsync(users, user, removingTotp: true, removingPasskeys: 0))
        {
            Error = this.Text("SecondStep.AdminKeeps");
            await ShowAsync(user);
            return Page();
        }

        if (!await VerifyAsync(user, code))
        {
            Error = this.Text("Security.WrongCodeStaysOn");
            await ShowAsync(user);
            return Page();
        }

        await users.SetTwoFactorEnabledAsync(user, false);
        await users.ResetAuthenticatorKeyAsync(user); // a later setup starts with a fresh key
        await signIn.RefreshSignInAsync(user);
        await PortalPasskeys.MailChangeAsync(mail, user, "The authenticator app was turned off.", HttpContext.RequestAborted);
        Notice = this.Text("Security.NowOff");
        await ShowAsync(user);
        return Page();
    }

    private async Task<IActionResult> RefuseAsync(PortalUser user)
    {
        Error = this.Text("SecondStep.SignInFirst");
        await ShowAsync(user);
        return Page();
    }

    private async Task<bool> VerifyAsync(PortalUser user, string code)
    {
        var typed = new string((code ?? "").Where(char.IsAsciiDigit).ToArray());
        return await users.VerifyTwoFactorTokenAsync(user, users.Options.Tokens.AuthenticatorTokenProvider, typed);
    }

    private async Task ShowAsync(PortalUser user)
    {
        TwoFactorEnabled = await users.GetTwoFactorEnabledAsync(user);
        HasPasskey = (await users.GetPasskeysAsync(user)).Count > 0;
        HasSecondStep = TwoFactorEnabled || HasPasskey;
        IsAdmin = await users.IsInRoleAsync(user, PortalRoles.Admin);
        var passed = _passedSecondStep || SecondStepClaim.IsIn(User);
        AdminNeedsSecondStep = IsAdmin && !passed;
        MayChange = passed || !HasSecondStep;
        if (TwoFactorEnabled || !MayChange)
        {
            // A session that may not turn it on never sees the key (it could add it to an app of its own for later).
            (SetupKey, SetupUri) = (null, null);
            return;
        }

        var key = await users.GetAuthenticatorKeyAsync(user);
        if (string.IsNullOrEmpty(key))
        {
            // A first key, written through the store: UserManager's reset would renew the security stamp, ending the
            // account's other sessions and its PIN unlocks although nothing that guards the account has changed.
            key = users.GenerateNewAuthenticatorKey();
            await ((IUserAuthenticatorKeyStore<PortalUser>)store).SetAuthenticatorKeyAsync(user, key, HttpContext.RequestAborted);
            await users.UpdateAsync(user);
        }

        SetupKey = string.Join(' ', key.Chunk(4).Select(c => new string(c))).ToLowerInvariant();
        var issuer = Uri.EscapeDataString(branding.Value.OrganizationName);
        SetupUri = $"otpauth://totp/{issuer}:{Uri.EscapeDataString(user.Email!)}?secret={key}&issuer={issuer}&digits=6";
    }
}
