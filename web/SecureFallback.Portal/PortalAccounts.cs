using Microsoft.AspNetCore.Identity;
using SecureFallback.Core.Pickup;
using SecureFallback.Data;

namespace SecureFallback.Portal;

/// <summary>The outcome of checking a mailed one-time code.</summary>
public enum CodeCheck
{
    Accepted,
    Wrong,
    LockedOut,
}

/// <summary>
/// Recipient accounts: registration once the mailbox is proven (link token, reference code or a mailed confirmation
/// code), and password reset by a mailed code. Codes are Identity's e-mail TOTP codes, bound to the account's
/// security stamp, so they die with the next password change; wrong codes count towards the account lockout.
/// </summary>
public sealed class PortalAccounts(UserManager<PortalUser> users, IAccountMail mail, HeldMessages held, TimeProvider timeProvider)
{
    /// <summary>How long a mailed code is honoured at least (Identity's 3-minute steps, ±2 steps).</summary>
    public static readonly TimeSpan CodeLifetime = TimeSpan.FromMinutes(5);

    private static readonly TimeSpan MinimumCodeInterval = TimeSpan.FromMinutes(1);

    private const string RegistrationPurpose = "SecureFallback:Registration";

    /// <summary>True when the address has a finished account (one with a password).</summary>
    public async Task<bool> IsRegisteredAsync(string address) =>
        await users.FindByEmailAsync(address) is { } user && await users.HasPasswordAsync(user);

    /// <summary>Creates the account for an address whose mailbox was proven, or finishes a pending one.</summary>
    public async Task<(IdentityResult Result, PortalUser? User)> RegisterAsync(string address, string password)
    {
        address = PickupGrant.NormalizeAddress(address);
        var existing = await users.FindByEmailAsync(address);
        if (existing is null)
        {
            var user = new PortalUser { UserName = address, Email = address, EmailConfirmed = true, CreatedAt = timeProvider.GetUtcNow() };
            var created = await users.CreateAsync(user, password);
            return (created, created.Succeeded ? user : null);
        }

        if (await users.HasPasswordAsync(existing))
        {
            return (IdentityResult.Failed(new IdentityError { Code = "AlreadyRegistered", Description = "This address already has an account. Sign in instead." }), null);
        }

        var added = await users.AddPasswordAsync(existing, password);
        if (!added.Succeeded)
        {
            return (added, null);
        }

        existing.EmailConfirmed = true;
        await users.ResetAccessFailedCountAsync(existing);
        return (await users.UpdateAsync(existing), existing);
    }

    /// <summary>
    /// Mails a registration code when messages are waiting for the address and it has no account yet. Says nothing
    /// either way, so the form cannot be used to learn who has messages here.
    /// </summary>
    public async Task RequestRegistrationCodeAsync(string address, CancellationToken cancellationToken)
    {
        if (await held.WaitingAddressAsync(address, cancellationToken) is not { } waiting)
        {
            return;
        }

        var user = await users.FindByEmailAsync(waiting);
        if (user is null)
        {
            waiting = PickupGrant.NormalizeAddress(waiting);
            user = new PortalUser { UserName = waiting, Email = waiting, CreatedAt = timeProvider.GetUtcNow() };
            if (!(await users.CreateAsync(user)).Succeeded)
            {
                return;
            }
        }
        else if (await users.HasPasswordAsync(user))
        {
            return;
        }

        await MailCodeAsync(user, AccountMailPurpose.Registration, () => users.GenerateUserTokenAsync(user, TokenOptions.DefaultEmailProvider, RegistrationPurpose), cancellationToken);
    }

    /// <summary>Checks a registration code and, when right, finishes the account with the chosen password.</summary>
    public async Task<(CodeCheck Check, IdentityResult? Result, PortalUser? User)> CompleteRegistrationAsync(string address, string code, string password)
    {
        var user = await users.FindByEmailAsync(address);
        if (user is null || await users.HasPasswordAsync(user))
        {
            return (CodeCheck.Wrong, null, null);
        }

        var check = await CheckAsync(user, () => users.VerifyUserTokenAsync(user, TokenOptions.DefaultEmailProvider, RegistrationPurpose, code));
        if (check != CodeCheck.Accepted)
        {
            return (check, null, null);
        }

        var (result, registered) = await RegisterAsync(user.Email!, password);
        return (CodeCheck.Accepted, result, registered);
    }

    /// <summary>Mails a password reset code to a finished account; silent for unknown addresses.</summary>
    public async Task RequestPasswordResetAsync(string address, CancellationToken cancellationToken)
    {
        if (await users.FindByEmailAsync(address) is { } user && await users.HasPasswordAsync(user))
        {
            await MailCodeAsync(user, AccountMailPurpose.PasswordReset, () => users.GeneratePasswordResetTokenAsync(user), cancellationToken);
        }
    }

    /// <summary>Checks a reset code and sets the new password; a wrong code counts like a wrong password.</summary>
    public async Task<(CodeCheck Check, IdentityResult? Result)> ResetPasswordAsync(string address, string code, string password)
    {
        var user = await users.FindByEmailAsync(address);
        if (user is null || !await users.HasPasswordAsync(user))
        {
            return (CodeCheck.Wrong, null);
        }

        var check = await CheckAsync(user, () => users.VerifyUserTokenAsync(user, users.Options.Tokens.PasswordResetTokenProvider, UserManager<PortalUser>.ResetPasswordTokenPurpose, code));
        if (check != CodeCheck.Accepted)
        {
            return (check, null);
        }

        var result = await users.ResetPasswordAsync(user, code, password);
        if (result.Succeeded)
        {
            await users.ResetAccessFailedCountAsync(user);
        }

        return (CodeCheck.Accepted, result);
    }

    private async Task<CodeCheck> CheckAsync(PortalUser user, Func<Task<bool>> verify)
    {
        if (await users.IsLockedOutAsync(user))
        {
            return CodeCheck.LockedOut;
        }

        if (await verify())
        {
            return CodeCheck.Accepted;
        }

        await users.AccessFailedAsync(user);
        return await users.IsLockedOutAsync(user) ? CodeCheck.LockedOut : CodeCheck.Wrong;
    }

    private async Task MailCodeAsync(PortalUser user, AccountMailPurpose purpose, Func<Task<string>> generate, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        if (user.CodeSentAt is { } last && now - last < MinimumCodeInterval)
        {
            return; // somebody pressing "send" in a loop must not turn us into a mail cannon
        }

        var code = await generate();
        user.CodeSentAt = now;
        await users.UpdateAsync(user);
        await mail.SendCodeAsync(user.Email!, purpose, code, CodeLifetime, cancellationToken);
    }
}
