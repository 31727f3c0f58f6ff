using Microsoft.AspNetCore.Identity;
using SecureFallback.Core.Pickup;
using SecureFallback.Data;

namespace SecureFallback.Portal;

/// <summary>The outcome of checking a mailed one-time code.</summary>
public enum CodeCheck
{
    Accepted,

    /// <summary>Wrong, expired, spent, dead after too many tries, or no such account: one answer for all of them.</summary>
    Wrong,
}

/// <summary>
/// Recipient accounts: registration once the mailbox is proven (link token, reference code or a mailed confirmation
/// code), and password reset by a mailed code. Codes are <see cref="OneTimeCode"/>s kept by <see cref="MailedCodes"/>:
/// single use, 15 minutes, dead after 3 wrong tries, counted apart from the password lockout. Admin accounts are never
/// reached here (<see cref="IsReachableAsync"/>): they answer exactly as an address without an account.
/// </summary>
public sealed class PortalAccounts(UserManager<PortalUser> users, IAccountMail mail, HeldMessages held, TimeProvider timeProvider)
{
    /// <summary>How long a mailed code is honoured.</summary>
    public static readonly TimeSpan CodeLifetime = MailedCodes.Lifetime;

    /// <summary>Wrong tries after which a mailed code stops working.</summary>
    public const int MaxWrongCodeTries = MailedCodes.MaxWrongTries;

    private static readonly TimeSpan MinimumCodeInterval = TimeSpan.FromMinutes(1);

    private readonly MailedCodes _codes = new(users, timeProvider);

    /// <summary>True when the address has a finished account (one with a password).</summary>
    public async Task<bool> IsRegisteredAsync(string address) =>
        await users.FindByEmailAsync(address) is { } user && await users.HasPasswordAsync(user);

    /// <summary>
    /// Creates the account for an address whose mailbox was proven, or finishes a pending one; <paramref name="grantId"/>
    /// names the grant whose link or reference code proved it (the read receipt says "created for this message").
    /// </summary>
    public async Task<(IdentityResult Result, PortalUser? User)> RegisterAsync(string address, string password, Guid? grantId = null)
    {
        address = PickupGrant.NormalizeAddress(address);
        var existing = await users.FindByEmailAsync(address);
        if (existing is null)
        {
            var now = timeProvider.GetUtcNow();
            var user = new PortalUser { UserName = address, Email = address, EmailConfirmed = true, CreatedAt = now, RegisteredAt = now, CreatedByGrantId = grantId };
            var created = await users.CreateAsync(user, password);
            return (created, created.Succeeded ? user : null);
        }

        if (await users.HasPasswordAsync(existing) || !await IsReachableAsync(existing))
        {
            return (IdentityResult.Failed(new IdentityError { Code = "AlreadyRegistered", Description = "This address already has an account. Sign in instead." }), null);
        }

        var added = await users.AddPasswordAsync(existing, password);
        if (!added.Succeeded)
        {
            return (added, null);
        }

        (existing.EmailConfirmed, existing.CreatedByGrantId, existing.RegisteredAt) = (true, grantId, timeProvider.GetUtcNow());
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
        else if (await users.HasPasswordAsync(user) || !await IsReachableAsync(user))
        {
            return;
        }

        await MailCodeAsync(user, AccountMailPurpose.Registration, cancellationToken);
    }

    /// <summary>Checks a registration code and, when right, finishes the account with the chosen password.</summary>
    public async Task<(CodeCheck Check, IdentityResult? Result, PortalUser? User)> CompleteRegistrationAsync(string address, string code, string password)
    {
        // The password is judged first, the same for every address, so a weak one never spends the code.
        if (await ValidatePasswordAsync(password) is { Succeeded: false } weak)
        {
            return (CodeCheck.Accepted, weak, null);
        }

        var user = await users.FindByEmailAsync(address);
        if (user is null || await users.HasPasswordAsync(user) || !await IsReachableAsync(user) || !await _codes.ConsumeAsync(user, AccountMailPurpose.Registration, code))
        {
            return (CodeCheck.Wrong, null, null);
        }

        var (result, registered) = await RegisterAsync(user.Email!, password);
        return (CodeCheck.Accepted, result, registered);
    }

    /// <summary>Mails a password reset code to a finished account; silent for unknown addresses.</summary>
    public async Task RequestPasswordResetAsync(string address, CancellationToken cancellationToken)
    {
        // A disowned account ("this was not me") stays locked: a reset would hand it back to whoever reads the mail path.
        if (await users.FindByEmailAsync(address) is { DisownedAt: null } user && await users.HasPasswordAsync(user) && await IsReachableAsync(user))
        {
            await MailCodeAsync(user, AccountMailPurpose.PasswordReset, cancellationToken);
        }
    }

    /// <summary>Checks a reset code and sets the new password. Wrong codes never count towards the password lockout.</summary>
    public async Task<(CodeCheck Check, IdentityResult? Result)> ResetPasswordAsync(string address, string code, string password)
    {
        if (await ValidatePasswordAsync(password) is { Succeeded: false } weak)
        {
            return (CodeCheck.Accepted, weak);
        }

        var user = await users.FindByEmailAsync(address);
        if (user is null || user.DisownedAt is not null || !await users.HasPasswordAsync(user) || !await IsReachableAsync(user) || !await _codes.ConsumeAsync(user, AccountMailPurpose.PasswordReset, code))
        {
            return (CodeCheck.Wrong, null);
        }

        // Identity's own reset token, made and used at once: it checks the password and renews the security stamp.
        var result = await users.ResetPasswordAsync(user, await users.GeneratePasswordResetTokenAsync(user), password);
        if (result.Succeeded)
        {
            // The mailbox is proven: a lockout from wrong passwords ends with the new one.
            await users.ResetAccessFailedCountAsync(user);
            await users.SetLockoutEndDateAsync(user, null);
        }

        return (CodeCheck.Accepted, result);
    }

    /// <summary>
    /// False for admin accounts: they are made and reset only by the CLI (<c>users add-admin</c>), so no mailed code,
    /// link or reference code, read on the unencrypted path the hold exists for, can create, finish, reset or take
    /// one over. Every portal path that changes an account asks this first, and answers as for an unknown address.
    /// </summary>
    public async Task<bool> IsReachableAsync(PortalUser user) => !await users.IsInRoleAsync(user, PortalRoles.Admin);

    /// <summary>The password rules alone, judged without any account, so the answer says nothing about the address.</summary>
    private async Task<IdentityResult> ValidatePasswordAsync(string password)
    {
        var errors = new List<IdentityError>();
        foreach (var validator in users.PasswordValidators)
        {
            var result = await validator.ValidateAsync(users, new PortalUser(), password);
            errors.AddRange(result.Errors);
        }

        return errors.Count == 0 ? IdentityResult.Success : IdentityResult.Failed([.. errors]);
    }

    private async Task MailCodeAsync(PortalUser user, AccountMailPurpose purpose, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        if (user.CodeSentAt is { } last && now - last < MinimumCodeInterval)
        {
            return; // somebody pressing "send" in a loop must not turn us into a mail cannon
        }

        user.CodeSentAt = now;
        var code = await _codes.IssueAsync(user, purpose); // saves the user, with CodeSentAt
        await mail.SendCodeAsync(user.Email!, purpose, code, CodeLifetime, cancellationToken);
    }
}
