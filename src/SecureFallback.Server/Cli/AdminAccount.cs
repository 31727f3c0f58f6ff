using Microsoft.AspNetCore.Identity;
using SecureFallback.Admin;
using SecureFallback.Core.Messages;
using SecureFallback.Core.Pickup;
using SecureFallback.Data;

namespace SecureFallback.Server.Cli;

/// <summary>
/// <c>securefallback users add-admin EMAIL</c>: an Identity account in the role Admin (the console's only door, and the
/// only way to make or reset an admin: the portal's registration and reset never reach one). It never promotes a
/// recipient's account: whoever registered that address through a notice link (read on an unprotected path, perhaps)
/// would keep its passkeys, authenticator and recovery codes and become an admin.
/// </summary>
internal static class AdminAccount
{
    public static async Task<int> AddAsync(IServiceProvider services, string email)
    {
        if (!TryNormalize(email, out var address))
        {
            Console.Error.WriteLine($"'{email.Trim()}' is not an e-mail address (an RFC 5321 mailbox such as admin@example.com, without a name or angle brackets).");
            return 64;
        }

        email = address;
        var users = services.GetRequiredService<UserManager<PortalUser>>();
        var user = await users.FindByEmailAsync(email);
        if (user is not null && !await users.IsInRoleAsync(user, AdminServiceCollectionExtensions.Role))
        {
            Console.Error.WriteLine($"'{email}' already has a portal account that is not an admin (a recipient's, made through the portal). "
                + "It is not turned into an admin: use another address for the admin account, for example a mailbox kept for it.");
            return 64;
        }

        var password = PasswordInput.Read();
        if (password is null || password.Length < 12)
        {
            Console.Error.WriteLine("The password must have at least 12 characters.");
            return 64;
        }

        var roles = services.GetRequiredService<RoleManager<IdentityRole>>();
        if (!await roles.RoleExistsAsync(AdminServiceCollectionExtensions.Role))
        {
            await roles.CreateAsync(new IdentityRole(AdminServiceCollectionExtensions.Role));
        }

        var created = user is null;
        IdentityResult result;
        if (user is null)
        {
            var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
            user = new PortalUser { UserName = email, Email = email, EmailConfirmed = true, CreatedAt = now, RegisteredAt = now };
            result = await users.CreateAsync(user, password);
        }
        else
        {
            if (await users.HasPasswordAsync(user))
            {
                await users.RemovePasswordAsync(user);
            }

            result = await users.AddPasswordAsync(user, password);
            if (result.Succeeded && user.RegisteredAt is null)
            {
                user.RegisteredAt = services.GetRequiredService<TimeProvider>().GetUtcNow();
                result = await users.UpdateAsync(user);
            }
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
        if (!await Portal.PortalPasskeys.HasSecondStepAsync(users, user))
        {
            Console.WriteLine("The console opens only after two-step sign-in: at the first sign-in, set up an authenticator app or a passkey (the portal leads there).");
        }

        return 0;
    }

    /// <summary>
    /// The address as grants and portal accounts spell it (<see cref="PickupGrant.NormalizeAddress"/>), when the typed
    /// text is one RFC 5321 mailbox (<see cref="MailboxSyntax"/>): a dot-string or quoted local part, and a host name
    /// (an IDN becomes its A-label) or an address literal. <c>Name &lt;a@b&gt;</c>, spaces and a missing part are not.
    /// </summary>
    private static bool TryNormalize(string typed, out string address)
    {
        address = "";
        if (!MailboxSyntax.TrySplit(typed.Trim(), out var local, out var domain) || local.Length > 64 || !DomainName.IsValid(domain)
            || !((domain.StartsWith('[') && domain.EndsWith(']')) || domain.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' || c > '\x7f'))
            || !MailboxSyntax.TryFormat(local, domain, out var formatted))
        {
            return false;
        }

        address = PickupGrant.NormalizeAddress(formatted);
        return true;
    }
}
