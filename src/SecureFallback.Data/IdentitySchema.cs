using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace SecureFallback.Data;

/// <summary>
/// Identity's schema for portal accounts: version 3, with passkeys (WebAuthn credentials). Identity's model reads the
/// version from <see cref="IdentityOptions"/> in the application's services, so the server sets it
/// (<c>AddSecureFallbackData</c>, the portal's account rules) and the design-time factories pass the same options:
/// migrations and the running server build one model.
/// </summary>
public static class IdentitySchema
{
    public static void Configure(IdentityOptions options) => options.Stores.SchemaVersion = IdentitySchemaVersions.Version3;

    /// <summary>Services for <c>dotnet ef</c>: only the Identity options the model reads.</summary>
    public static IServiceProvider DesignTimeServices() =>
        new ServiceCollection().Configure<IdentityOptions>(Configure).BuildServiceProvider();
}
