using System.Net;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using SecureFallback.Admin;
using SecureFallback.Data;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

/// <summary>
/// Each signed-in request is checked against the account (SessionStampValidator, issue 18): a changed security stamp
/// ends the session at its next request; any other change of the account reaches the session's principal at its
/// next request; an unchanged account costs one read, with no rebuilt principal and no re-issued cookie.
/// </summary>
public sealed class SessionStampTests
{
    private const string Carol = "carol@plain.test";
    private const string Password = "a long portal password";

    [Fact]
    public async Task SignedInRequests_OfAnUnchangedAccount_ReissueNoCookie()
    {
        await using var server = await StartAsync();
        using var carol = new PortalVisitor(server.WebAddress);
        await carol.SignInAsync(Carol, Password);
        var issued = SessionCookies(carol);

        Assert.Equal(HttpStatusCode.OK, await StatusOfAsync(carol, "/inbox"));
        Assert.Equal(HttpStatusCode.OK, await StatusOfAsync(carol, "/inbox"));

        Assert.Equal(issued, SessionCookies(carol));
    }

    [Fact]
    public async Task SecurityStampChange_EndsTheSession_AtItsNextRequest()
    {
        await using var server = await StartAsync();
        using var carol = new PortalVisitor(server.WebAddress);
        await carol.SignInAsync(Carol, Password);
        Assert.Equal(HttpStatusCode.OK, await StatusOfAsync(carol, "/inbox"));

        await WithUserAsync(server, (users, user) => users.UpdateSecurityStampAsync(user));

        using var inbox = await carol.SendAsync(HttpMethod.Get, "/inbox");
        Assert.Equal(HttpStatusCode.Redirect, inbox.StatusCode);
        Assert.StartsWith("/login", PathOf(inbox), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, await StatusOfAsync(carol, "/inbox")); // and stays ended
    }

    [Fact]
    public async Task RoleAdded_ReachesTheSession_AtItsNextRequest_ThenNoMoreCookiesAreIssued()
    {
        await using var server = await StartAsync();
        using var carol = new PortalVisitor(server.WebAddress);
        await carol.SignInAsync(Carol, Password);
        using (var before = await carol.SendAsync(HttpMethod.Get, "/admin"))
        {
            Assert.StartsWith("/error/403", PathOf(before), StringComparison.Ordinal);
        }

        await WithUserAsync(server, (users, user) => users.AddToRoleAsync(user, AdminServiceCollectionExtensions.Role));

        using (var after = await carol.SendAsync(HttpMethod.Get, "/admin"))
        {
            Assert.Equal(AdminServiceCollectionExtensions.SecondStepPath, PathOf(after)); // an admin now, led to a second step
        }

        var reissued = SessionCookies(carol);
        Assert.Equal(HttpStatusCode.OK, await StatusOfAsync(carol, "/inbox"));
        Assert.Equal(reissued, SessionCookies(carol));
    }

    /// <summary>
    /// Identity's sign-in manager (with its user manager, token providers, data protectors and metrics) is made only when
    /// the session must be ended or rebuilt: made for every request, it was a few percent of a message view's CPU.
    /// </summary>
    [Fact]
    public async Task SignedInRequests_OfAnUnchangedAccount_MakeNoSignInManager()
    {
        var made = 0;
        await using var server = await StartAsync(services =>
        {
            var original = services.Last(s => s.ServiceType == typeof(SignInManager<PortalUser>));
            services.AddScoped(sp =>
            {
                if (DatabaseCommandCounter.InRequest())
                {
                    Interlocked.Increment(ref made);
                }

                return (SignInManager<PortalUser>)ActivatorUtilities.CreateInstance(sp, original.ImplementationType!);
            });
        });
        using var carol = new PortalVisitor(server.WebAddress);
        await carol.SignInAsync(Carol, Password);
        Assert.Equal(HttpStatusCode.OK, await StatusOfAsync(carol, "/inbox"));
        Assert.True(Volatile.Read(ref made) > 0); // signing in made them

        Interlocked.Exchange(ref made, 0);
        Assert.Equal(HttpStatusCode.OK, await StatusOfAsync(carol, "/inbox"));
        Assert.Equal(HttpStatusCode.OK, await StatusOfAsync(carol, "/inbox"));

        Assert.Equal(0, Volatile.Read(ref made));
        await WithUserAsync(server, (users, user) => users.UpdateSecurityStampAsync(user));
        Assert.Equal(HttpStatusCode.Redirect, await StatusOfAsync(carol, "/inbox")); // still ended at once
    }

    private static async Task<SecureFallbackInstance> StartAsync(Action<IServiceCollection>? services = null)
    {
        var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string> { ["SecureFallback:Portal:CredentialRequestsPerMinute"] = "1000" }, services: services);
        await server.AddPortalUserAsync(Carol, Password);
        await server.AddPortalUserAsync("admin@ops.test", Password, AdminServiceCollectionExtensions.Role); // the role exists
        return server;
    }

    private static string PathOf(HttpResponseMessage redirect) =>
        redirect.Headers.Location is { IsAbsoluteUri: true } absolute ? absolute.PathAndQuery : redirect.Headers.Location!.OriginalString;

    private static int SessionCookies(PortalVisitor visitor) =>
        visitor.SetCookies.Count(c => c.StartsWith("securefallback=", StringComparison.Ordinal));

    private static async Task<HttpStatusCode> StatusOfAsync(PortalVisitor visitor, string path)
    {
        using var response = await visitor.SendAsync(HttpMethod.Get, path);
        return response.StatusCode;
    }

    private static async Task WithUserAsync(SecureFallbackInstance server, Func<UserManager<PortalUser>, PortalUser, Task<IdentityResult>> change)
    {
        await using var scope = server.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        Assert.True((await change(users, await users.FindByEmailAsync(Carol) ?? throw new InvalidOperationException(Carol))).Succeeded);
    }
}
