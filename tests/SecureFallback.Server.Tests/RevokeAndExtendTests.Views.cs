using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using SecureFallback.Data;
using SecureFallback.Portal;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

public sealed partial class RevokeAndExtendTests
{
    /// <summary>
    /// What the page shows of a message read once is kept in memory (<see cref="ShownMessageCache"/>); once the sender
    /// revokes the copy, the page shows the revocation, never that HTML, and drops what was kept.
    /// </summary>
    [Fact]
    public async Task RevokedHtmlMessage_ReadBefore_IsNotShownFromMemory_AndIsForgotten()
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("alice@sender.test"));
        message.To.Add(MailboxAddress.Parse(Carol));
        message.Subject = "Statement";
        message.Body = new BodyBuilder { HtmlBody = "<p>carol-html-marker</p><table><tr><td>1.00</td></tr></table>", TextBody = "carol-text-marker" }.ToMessageBody();
        await using var held = await HeldAsync([Carol], message: message);
        using var carol = new PortalVisitor(held.Server.WebAddress);
        var path = await RegisterAsync(carol, held);
        var cache = held.Server.Services.GetRequiredService<ShownMessageCache>();

        Assert.Contains("carol-html-marker", await ReadAsync(carol, path));
        Assert.Contains("carol-html-marker", await ReadAsync(carol, path)); // from memory now
        Assert.Equal(1, cache.Size.Entries);
        using var sender = new PortalVisitor(held.Server.WebAddress);
        Assert.Contains("is revoked", await ConfirmAsync(sender, RevokeLink().Match(held.DsnText).Value));

        var page = await ReadAsync(carol, path);

        Assert.Contains("Revoked by the sender on", page);
        Assert.DoesNotContain("carol-html-marker", page);
        Assert.Equal(0, cache.Size.Entries);
    }

    /// <summary>
    /// A view of a held message checks access against the database every time, in as few commands as it can: the
    /// session's stamp (one read) and the grant with everything the page checks (one: access, the sealed copy still
    /// there, any replies to show). What the page shows comes from memory after the first, verified read, and a
    /// recipient who never replied costs no thread query. Before issue 18 it took Identity's whole principal rebuild
    /// and eight separate look-ups; then four (the sealed content and the reply thread on their own).
    /// </summary>
    [Fact]
    public async Task ViewingAHeldMessageAgain_NeverReplied_TakesTwoDatabaseCommands()
    {
        var commands = await CommandsOfARepeatViewAsync();

        Assert.True(commands.Count == 2, $"{commands.Count} commands:\n" + string.Join("\n---\n", commands));
    }

    /// <summary>
    /// SQLite compiles every command anew (Microsoft.Data.Sqlite keeps no statements across commands), and compiling
    /// the view query was the largest single cost of a repeat view (bench/RESULTS.md, issue 18), growing with every
    /// column and subquery: it reads only the grant's access, PIN and reading columns (not its token hash, reference
    /// code or address) and the account once.
    /// </summary>
    [Fact]
    public async Task TheViewQuery_ReadsOnlyWhatAViewUses()
    {
        var view = Assert.Single(await CommandsOfARepeatViewAsync(), c => c.Contains("\"PickupGrants\"", StringComparison.Ordinal));
        Assert.DoesNotContain("TokenHash", view, StringComparison.Ordinal);
        Assert.DoesNotContain("ReferenceCode", view, StringComparison.Ordinal);
        Assert.DoesNotContain("\"Address\"", view, StringComparison.Ordinal);
        Assert.Equal(1, view.Split("\"AspNetUsers\"").Length - 1);
    }

    /// <summary>The SQL of a second view of Carol's held message (the first reading is recorded by the first).</summary>
    private static async Task<List<string>> CommandsOfARepeatViewAsync()
    {
        using var counter = new DatabaseCommandCounter();
        await using var held = await HeldAsync([Carol]);
        using var carol = new PortalVisitor(held.Server.WebAddress);
        var path = await RegisterAsync(carol, held);
        Assert.Contains("carol-marker-body", await ReadAsync(carol, path)); // the first reading is recorded
        await using (var scope = held.Server.Services.CreateAsyncScope())
        {
            counter.ConnectionString = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>().Database.GetConnectionString();
        }

        counter.Clear();
        Assert.Contains("carol-marker-body", await ReadAsync(carol, path));

        return counter.Commands;
    }
}
