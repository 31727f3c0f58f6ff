using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;
using SecureFallback.Core;
using SecureFallback.Core.Pickup;
using SecureFallback.Data;

namespace SecureFallback.Portal.Pages;

/// <summary>
/// The account's passkeys: add one (WebAuthn attestation through Identity, user verification required) or remove one.
/// Only a session that passed a second step may do either, except when the account has none yet: the first second step
/// an account gets counts for the session that added it, as with an authenticator app. Each change renews the
/// account's security stamp, so every other session of the account ends. An admin's last second step stays.
/// </summary>
[EnableRateLimiting(PortalRateLimits.Credentials)]
[PasskeyScript]
public sealed class PasskeysModel(UserManager<PortalUser> users, SignInManager<PortalUser> signIn, IAccountMail mail, IOptions<PortalOptions> portal) : PageModel
{
    public bool Available => PortalPasskeys.AreAvailable(portal.Value);

    public IReadOnlyList<UserPasskeyInfo> Passkeys { get; private set; } = [];

    public string? Error { get; private set; }

    public string? Notice { get; private set; }

    /// <summary>This session may add and remove passkeys (<see cref="PortalPasskeys.MayChangeSecondStepAsync"/>).</summary>
    public bool MayChange { get; private set; }

    private bool _passedSecondStep;

    public static string IdOf(UserPasskeyInfo passkey) => WebEncoders.Base64UrlEncode(passkey.CredentialId);

    public async Task<IActionResult> OnGetAsync() => await ShowAsync(null, null);

    /// <summary>Step one, fetched by /passkey.js: the WebAuthn creation options (the challenge is kept in a cookie).</summary>
    public async Task<IActionResult> OnPostOptionsAsync()
    {
        if (!Available || await users.GetUserAsync(User) is not { } user)
        {
            return NotFound();
        }

        if (!await PortalPasskeys.MayChangeSecondStepAsync(users, user, User))
        {
            return StatusCode(StatusCodes.Status403Forbidden);
        }

        var entity = new PasskeyUserEntity { Id = user.Id, Name = user.Email!, DisplayName = user.Email! };
        return Content(await signIn.MakePasskeyCreationOptionsAsync(entity), "application/json");
    }

    /// <summary>Step two: the browser's new credential, checked against the challenge, and kept.</summary>
    public async Task<IActionResult> OnPostAddAsync(string credential)
    {
        if (await users.GetUserAsync(User) is not { } user)
        {
            return Redirect("/login");
        }

        if (!await PortalPasskeys.MayChangeSecondStepAsync(users, user, User))
        {
            return await ShowAsync(this.Text("SecondStep.SignInFirst"), null);
        }

        PasskeyAttestationResult? result = null;
        if (Available && !string.IsNullOrEmpty(credential))
        {
            try
            {
                result = await signIn.PerformPasskeyAttestationAsync(credential);
            }
            catch (InvalidOperationException)
            {
                // no creation under way in this browser (the challenge cookie is gone): the same answer as a bad one
            }
        }

        if (result is not { Succeeded: true } || result.UserEntity.Id != user.Id)
        {
            return await ShowAsync(this.Text("Passkeys.AddFailed"), null);
        }

        var first = !await PortalPasskeys.HasSecondStepAsync(users, user);
        result.Passkey.Name = this.Text("Passkeys.AddedName", HttpContext.RequestServices.GetRequiredService<IStringLocalizer<PortalText>>().When(result.Passkey.CreatedAt));
        await users.AddOrUpdatePasskeyAsync(user, result.Passkey);
        await users.UpdateSecurityStampAsync(user); // a session from the password alone, elsewhere, ends now
        await SignInAgainAsync(user, first);
        await PortalPasskeys.MailChangeAsync(mail, user, "A passkey was added.", HttpContext.RequestAborted);
        return await ShowAsync(null, this.Text("Passkeys.Added"));
    }

    public async Task<IActionResult> OnPostRemoveAsync(string id)
    {
        if (await users.GetUserAsync(User) is not { } user)
        {
            return Redirect("/login");
        }

        if (!await PortalPasskeys.MayChangeSecondStepAsync(users, user, User))
        {
            return await ShowAsync(this.Text("SecondStep.SignInFirst"), null);
        }

        byte[] credentialId;
        try
        {
            credentialId = WebEncoders.Base64UrlDecode(id ?? "");
        }
        catch (FormatException)
        {
            return await ShowAsync(this.Text("Passkeys.NoSuch"), null);
        }

        var removing = (await users.GetPasskeysAsync(user)).Count(p => p.CredentialId.AsSpan().SequenceEqual(credentialId));
        if (await PortalPasskeys.WouldLeaveAdminWithoutSecondStepAsync(users, user, removingTotp: false, removingPasskeys: removing))
        {
            return await ShowAsync(this.Text("SecondStep.AdminKeeps"), null);
        }

        await users.RemovePasskeyAsync(user, credentialId);

        await users.UpdateSecurityStampAsync(user);
        await signIn.RefreshSignInAsync(user);
        await PortalPasskeys.MailChangeAsync(mail, user, "A passkey was removed.", HttpContext.RequestAborted);
        return await ShowAsync(null, this.Text("Passkeys.Removed"));
    }

    private async Task SignInAgainAsync(PortalUser user, bool firstSecondStep)
    {
        if (firstSecondStep && !SecondStepClaim.IsIn(User))
        {
            // The account's first second step, just proven with user verification: this session has passed it too.
            await signIn.SignInWithClaimsAsync(user, isPersistent: false, [SecondStepClaim.Create()]);
            _passedSecondStep = true; // the new cookie goes out with this answer; User is still the old principal
        }
        else
        {
            await signIn.RefreshSignInAsync(user);
        }
    }

    private async Task<IActionResult> ShowAsync(string? error, string? notice)
    {
        if (await users.GetUserAsync(User) is not { } user)
        {
            return Redirect("/login");
        }

        (Error, Notice) = (error, notice);
        MayChange = _passedSecondStep || await PortalPasskeys.MayChangeSecondStepAsync(users, user, User);
        Passkeys = [.. await users.GetPasskeysAsync(user)];
        return Page();
    }
}
