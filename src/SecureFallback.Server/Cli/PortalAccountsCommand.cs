using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using SecureFallback.Core.Messages;
using SecureFallback.Core.Pickup;
using SecureFallback.Data;
using SecureFallback.Data.Writes;

namespace SecureFallback.Server.Cli;

/// <summary>
/// <c>securefallback accounts list</c> and <c>accounts remove EMAIL</c>: the administrator's tools for portal accounts,
/// above all a disowned one ("this was not me"). Removing a recipient's account deletes it with its passkeys, logins
/// and tokens, and unlocks the held copies for its address that the lock locked (<see cref="QueuedRecipient.UnlockPickup"/>),
/// in one write, each behind a PIN that an admin issues in the console and gives the owner by phone; the real owner
/// registers again by proving the mailbox (a mailed registration code; the old link and reference code stay spent). Admin accounts
/// are refused; they are made and reset with <c>users add-admin</c>.
/// </summary>
internal static class PortalAccountsCommand
{
    /// <summary>Exit code of a refused request (an admin account).</summary>
    private const int Refused = 64;

    public static async Task<int> RunAsync(string[] words, string[] settings)
    {
        using var host = CliHost.BuildWithIdentity(settings);
        await using var scope = host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
        await db.MigrateToCurrentAsync();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        var now = scope.ServiceProvider.GetRequiredService<TimeProvider>().GetUtcNow();
        return words switch
        {
            ["list"] => await ListAsync(db, users, now),
            ["remove", var email] => await RemoveAsync(db, users, email),
            _ => CliVerbs.Refuse(["accounts", .. words]),
        };
    }

    /// <summary>One line per account: address, created, admin or recipient, disowned (when), locked (lockout now).</summary>
    private static async Task<int> ListAsync(SecureFallbackDbContext db, UserManager<PortalUser> users, DateTimeOffset now)
    {
        var admins = (await users.GetUsersInRoleAsync(PortalRoles.Admin)).Select(u => u.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var user in await db.Users.AsNoTracking().OrderBy(u => u.NormalizedEmail).ToListAsync())
        {
            var role = admins.Contains(user.Id) ? "admin" : "recipient";
            var disowned = user.DisownedAt is { } at ? $"disowned {at:u}" : "-";
            var locked = user.LockoutEnd is { } end && end > now ? "locked" : "-";
            Console.WriteLine($"{user.Email}\tcreated {user.CreatedAt:u}\t{role}\t{disowned}\t{locked}");
        }

        return 0;
    }

    private static async Task<int> RemoveAsync(SecureFallbackDbContext db, UserManager<PortalUser> users, string email)
    {
        await using var write = await db.BeginWriteAsync(WriteDurability.Full, CancellationToken.None);
        var user = await users.FindByEmailAsync(email.Trim());
        if (user is null)
        {
            Console.Error.WriteLine($"No portal account '{email}'.");
            return 1;
        }

        if (await users.IsInRoleAsync(user, PortalRoles.Admin))
        {
            Console.Error.WriteLine($"'{user.Email}' is an admin account: it is not removed here (reset it with `users add-admin`).");
            return Refused;
        }

        // Only "this was not me" locks held copies, and only a disowned account leaves them locked.
        var unlocked = new List<QueuedRecipient>();
        if (user.DisownedAt is not null)
        {
            var key = PickupGrant.AddressKeyOf(user.Email!);
            var recipientIds = db.PickupGrants.Where(g => g.AddressKey == key).Select(g => g.RecipientId);
            unlocked = await db.Recipients
                .Where(r => recipientIds.Contains(r.Id) && r.Status == RecipientStatus.HeldForPickup && r.PickupLockedAt != null)
                .ToListAsync();
            unlocked.ForEach(r => r.UnlockPickup());

            // Whoever was disowned read the mail path and may hold more of its links: the unlocked copies open only
            // with a PIN the administrator gives the owner by phone, never by the mailbox alone.
            var unlockedIds = unlocked.Select(r => r.Id).ToList();
            foreach (var grant in await db.PickupGrants.Where(g => unlockedIds.Contains(g.RecipientId)).ToListAsync())
            {
                (grant.PinRequired, grant.PinUnlockedAt, grant.PinUnlockedStamp) = (true, null, null);
            }
        }

        var deleted = await users.DeleteAsync(user); // passkeys, logins, tokens, claims and roles go with it (cascade)
        if (!deleted.Succeeded)
        {
            Console.Error.WriteLine($"Could not remove '{user.Email}': {string.Join(" ", deleted.Errors.Select(e => e.Description))}");
            return 1;
        }

        await db.SaveChangesAsync();
        await write.CommitAsync(CancellationToken.None);
        Console.WriteLine($"Removed portal account '{user.Email}'; {unlocked.Count} held message{(unlocked.Count == 1 ? "" : "s")} unlocked.");
        if (unlocked.Count > 0)
        {
            Console.WriteLine("They now open only with a PIN: in the admin console, open each message, press 'Issue new PIN' and give it to the owner by phone (never by e-mail); the owner registers again with a mailed code.");
        }
        return 0;
    }
}
