namespace SecureFallback.Core.Pickup;

/// <summary>Why the portal mails a recipient a one-time code.</summary>
public enum AccountMailPurpose
{
    /// <summary>A visitor without link or reference code proves the mailbox before creating an account.</summary>
    Registration,

    /// <summary>A recipient who forgot the portal password proves the mailbox before choosing a new one.</summary>
    PasswordReset,

    /// <summary>
    /// Not a code: the account's second step changed (a passkey added or removed, the authenticator app turned on or
    /// off). The mail's "code" is what changed, so an owner who did not do it learns that someone holds the password.
    /// </summary>
    SecondStepChanged,
}

/// <summary>
/// Mail the portal sends about the recipient's account. Queued durably like every other message SecureFallback
/// writes, so a code is not lost when the recipient's server is briefly down.
/// </summary>
public interface IAccountMail
{
    Task SendCodeAsync(string address, AccountMailPurpose purpose, string code, TimeSpan validFor, CancellationToken cancellationToken);
}
