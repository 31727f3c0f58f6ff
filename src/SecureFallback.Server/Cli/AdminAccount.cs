using Microsoft.AspNetCore.Identity;
using SecureFallback.Admin;
using SecureFallback.Data;

namespace SecureFallback.Server.Cli;

/// <summary>
/// <c>securefallback users add-admin EMAIL</c>: an Identity account in the role Admin (the console's only door, and the
/// only way to make or reset an admin: the portal's registration and reset never reach one).
/// </summary>
internal static class AdminAccount
{
    public static async Task<int> AddAsync(IServiceProvider services, string email)
    {
        email = email.Trim();
        if (!System.Net.Mail.MailAddress.TryCreate(email, out _))
        {
            Console.Error.WriteLine($"'{email}' is not an e-mail address.");
            return 64;
        }

        var password = PasswordInput.Read();
        if (password is null || password.Length < 12)
        {
            Console.Error.WriteLine("The password must have at least 12 characters.");
            return 64;
        }

        var users = services.GetRequiredService<UserManager<PortalUser>>();
        var roles = services.GetRequiredService<RoleManager<IdentityRole>>();
        if (!await roles.RoleExistsAsync(AdminServiceCollectionExtensions.Role))
        {
            await roles.CreateAsync(new IdentityRole(AdminServiceCollectionExtensions.Role));
        }

        var user = await users.FindByEmailAsync(email);
        var created = user is null;
        IdentityResult result;
        if (user is null)
        {
            user = new PortalUser { UserName = email, Email = email, EmailConfirmed = true, CreatedAt = services.GetRequiredService<TimeProvider>().GetUtcNow() };
            result = await users.CreateAsync(user, password);
        }
        else
        {
            user.EmailConfirmed = true;
            await users.UpdateAsync(user);
            if (await users.HasPasswordAsync(user))
            {
                await users.RemovePasswordAsync(user);
            }

            result = await users.AddPasswordAsync(user, password);
        }

        if (!result.Succeeded)
        {
            Console.Error.WriteLine(string.Join(" ", result.Errors.Select(e => e.Description)));
            return 64;
        }

        if (!await users.IsInRoleAsync(user, AdminServiceCollectionExtensions.Role))
        {
            await users.AddToRoleAsync(user, AdminServiceCollectionExtensions.Role);
        }

        Console.WriteLine(created ? $"Created admin '{email}'." : $"'{email}' is an admin; password changed.");
        if (!await users.GetTwoFactorEnabledAsync(user))
        {
            Console.WriteLine("The console opens only after two-step sign-in: at the first sign-in, set up an authenticator app or a passkey (the portal leads there).");
        }

        return 0;
    }
}
