using System.Security.Claims;

namespace SecureFallback.Data;

/// <summary>Roles of portal accounts. Only the CLI (<c>users add-admin</c>) gives one.</summary>
public static class PortalRoles
{
    /// <summary>Opens the admin console; such an account is never reached by the portal's registration or reset.</summary>
    public const string Admin = "Admin";
}

/// <summary>
/// The claim on a session that passed a second step: <c>amr</c> = <c>mfa</c>, as Identity sets it after an
/// authenticator or recovery code; the portal sets it too after a passkey (possession and user verification in one)
/// and when an account's first second step is set up in that session.
/// </summary>
public static class SecondStepClaim
{
    public const string Type = "amr";

    public const string Value = "mfa";

    public static Claim Create() => new(Type, Value);

    public static bool IsIn(ClaimsPrincipal principal) => principal.HasClaim(Type, Value);
}
