using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using SecureFallback.Data;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

/// <summary><c>users add-admin</c>: makes a new admin or changes an admin's password, and never promotes a recipient.</summary>
public sealed class AdminAccountCommandTests
{
    private const string Password = "an admin console password";

    [Fact]
    public async Task AddAdmin_ForAnExistingRecipientAccount_IsRefusedWith64_AndTheAccountStaysARecipient()
    {
        var dataDirectory = SecureFallbackInstance.NewDataDirectory();
        await using (var server = await SecureFallbackInstance.StartAsync(dataDirectory: dataDirectory))
        {
            // Registered earlier through a notice link by whoever read the mail path, with a passkey of their own.
            await server.AddPortalUserAsync("ops@plain.test", "a recipient's own password");
            await using var scope = server.Services.CreateAsyncScope();
            var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
            var user = (await users.FindByEmailAsync("ops@plain.test"))!;
            await users.AddOrUpdatePasskeyAsync(user, new UserPasskeyInfo(RandomNumberGenerator.GetBytes(32), RandomNumberGenerator.GetBytes(77), DateTimeOffset.UtcNow, 0, ["internal"], true, false, false, [1], [1]));
        }

        var (exitCode, output) = await AddAdminAsync(dataDirectory, "OPS@Plain.Test");

        Assert.Equal(64, exitCode);
        Assert.Contains("already has a portal account that is not an admin", output, StringComparison.Ordinal);
        Assert.Contains("another address", output, StringComparison.Ordinal);
        await using var after = await SecureFallbackInstance.StartAsync(dataDirectory: dataDirectory);
        await using var check = after.Services.CreateAsyncScope();
        var manager = check.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        var account = (await manager.FindByEmailAsync("ops@plain.test"))!;
        Assert.False(await manager.IsInRoleAsync(account, PortalRoles.Admin));
        Assert.True(await manager.CheckPasswordAsync(account, "a recipient's own password"));
    }

    [Theory]
    [InlineData("Ops Team <ops@ops.test>")]
    [InlineData("ops team@ops.test")]
    [InlineData("ops@")]
    [InlineData("ops@ops.test>")]
    public async Task AddAdmin_WithSomethingThatIsNotAMailbox_IsRefusedWith64(string typed)
    {
        var (exitCode, output) = await AddAdminAsync(SecureFallbackInstance.NewDataDirectory(), typed);

        Assert.Equal(64, exitCode);
        Assert.Contains("is not an e-mail address", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddAdmin_StoresTheAddressInTheGrantsForm_AndAgainOnlyChangesThePassword()
    {
        var dataDirectory = SecureFallbackInstance.NewDataDirectory();

        var (created, createdOutput) = await AddAdminAsync(dataDirectory, " Admin@OPS.Test ");
        var (again, againOutput) = await AddAdminAsync(dataDirectory, "admin@ops.test", "a second admin password");

        Assert.True(created == 0, createdOutput);
        Assert.Contains("Created admin 'Admin@ops.test'", createdOutput, StringComparison.Ordinal);
        Assert.True(again == 0, againOutput);
        Assert.Contains("password changed", againOutput, StringComparison.Ordinal);
        await using var server = await SecureFallbackInstance.StartAsync(dataDirectory: dataDirectory);
        await using var scope = server.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        var admin = Assert.Single(users.Users.ToList());
        Assert.Equal(("Admin@ops.test", "Admin@ops.test"), (admin.UserName, admin.Email));
        Assert.True(await users.IsInRoleAsync(admin, PortalRoles.Admin));
        Assert.True(await users.CheckPasswordAsync(admin, "a second admin password"));
    }

    private static Task<(int ExitCode, string Output)> AddAdminAsync(string dataDirectory, string address, string password = Password) =>
        CliRunner.RunAsync(["users", "add-admin", address, .. SecureFallbackInstance.BaseArguments(dataDirectory)], password + "\n");
}
