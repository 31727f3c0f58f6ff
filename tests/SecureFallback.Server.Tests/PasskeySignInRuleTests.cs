using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using SecureFallback.Data;
using SecureFallback.Portal;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

/// <summary>
/// Who a verified passkey signs in: not a disowned or unconfirmed account, but an account locked only by wrong
/// passwords, which anyone can cause (5 tries every 15 minutes would otherwise keep the passkey's owner out).
/// </summary>
public sealed class PasskeySignInRuleTests
{
    private const string Password = "a long portal password";

    [Fact]
    public async Task PasskeySignIn_IgnoresThePasswordLockout_ButRefusesDisownedAndUnconfirmedAccounts()
    {
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>());
        foreach (var address in new[] { "locked@plain.test", "disowned@plain.test", "unconfirmed@plain.test" })
        {
            await server.AddPortalUserAsync(address, Password);
        }

        await using var scope = server.Services.CreateAsyncScope();
        var signIn = scope.ServiceProvider.GetRequiredService<SignInManager<PortalUser>>();
        var users = signIn.UserManager;

        var locked = (await users.FindByEmailAsync("locked@plain.test"))!;
        for (var i = 0; i < 5; i++)
        {
            await users.AccessFailedAsync(locked);
        }

        Assert.True(await users.IsLockedOutAsync(locked));
        Assert.True(await PortalPasskeys.MaySignInWithPasskeyAsync(signIn, locked));

        var disowned = (await users.FindByEmailAsync("disowned@plain.test"))!;
        disowned.DisownedAt = DateTimeOffset.UtcNow;
        await users.UpdateAsync(disowned);
        Assert.False(await PortalPasskeys.MaySignInWithPasskeyAsync(signIn, disowned));

        var unconfirmed = (await users.FindByEmailAsync("unconfirmed@plain.test"))!;
        unconfirmed.EmailConfirmed = false;
        await users.UpdateAsync(unconfirmed);
        Assert.False(await PortalPasskeys.MaySignInWithPasskeyAsync(signIn, unconfirmed));
    }
}
