using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using SecureFallback.Data;
using SecureFallback.TestKit;

namespace SecureFallback.Browser.Tests;

[Collection(ChromiumCollection.Name)]
public sealed partial class IsolationTests(ChromiumFixture chromium)
{
    [GeneratedRegex("[A-HJ-NP-Z2-9]{3}-[A-HJ-NP-Z2-9]{3}-[A-HJ-NP-Z2-9]{3}")]
    private static partial Regex ReferenceCode();

    private static async Task<List<(string Address, DateTimeOffset? FirstReadAt)>> ReadMarksAsync(SecureFallbackInstance server)
    {
        await using var scope = server.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
        return (await db.PickupGrants.AsNoTracking().ToListAsync()).Select(g => (g.Address, g.FirstReadAt)).ToList();
    }

    [Fact]
    public async Task SecondRecipient_CannotReadListDownloadOrMarkReadTheFirstOnesMessage_ByIdUrlTokenOrReferenceCode()
    {
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Delivery:Routes:plain.test"] = plain.Route,
        });
        await server.SendAsync("alice@sender.test", ["carol@plain.test"], "For Carol only", "Carol's diagnosis");
        await server.SendAsync("alice@sender.test", ["dave@plain.test"], "For Dave", "Dave's invoice");
        var notices = await plain.WaitForMessagesAsync(2);
        string TokenFor(string address) => PortalSteps.TokenIn(notices.Single(n => n.To.Contains(address)).Parse());

        await using var carolContext = await chromium.NewContextAsync();
        var carol = await carolContext.NewPageAsync();
        await PortalSteps.RegisterThroughLinkAsync(carol, server, TokenFor("carol@plain.test"));
        // Carol has not opened it yet: Dave must not be able to mark it read either.
        var href = await carol.GetByRole(AriaRole.Link, new PageGetByRoleOptions { Name = "For Carol only" }).GetAttributeAsync("href");
        var carolsMessage = new Uri(server.WebAddress, href);

        await using var daveContext = await chromium.NewContextAsync();
        var dave = await daveContext.NewPageAsync();
        await PortalSteps.RegisterThroughLinkAsync(dave, server, TokenFor("dave@plain.test"));
        var inbox = await dave.InnerTextAsync("main");
        Assert.Contains("For Dave", inbox);
        Assert.DoesNotContain("For Carol only", inbox);

        foreach (var path in new[] { carolsMessage.AbsolutePath, carolsMessage.AbsolutePath + "?handler=eml", carolsMessage.AbsolutePath + "?handler=attachment&index=0" })
        {
            var response = await dave.GotoAsync(new Uri(server.WebAddress, path).ToString());
            Assert.Equal(404, response!.Status);
            Assert.Contains("This page does not exist", await dave.InnerTextAsync("h1"));
            Assert.DoesNotContain("diagnosis", await dave.ContentAsync(), StringComparison.Ordinal);
        }

        // Carol's pickup link was used by Carol; in Dave's hands it leads nowhere near her inbox.
        await dave.GotoAsync(new Uri(server.WebAddress, "/pickup/" + TokenFor("carol@plain.test")).ToString());
        Assert.DoesNotContain("For Carol only", await dave.InnerTextAsync("body"));

        // Carol's reference code: with Dave's address it does not match; with Carol's it only leads to a sign-in.
        var carolsCode = ReferenceCode().Match(notices.Single(n => n.To.Contains("carol@plain.test")).Parse().TextBody ?? "").Value;
        foreach (var address in new[] { "dave@plain.test", "carol@plain.test" })
        {
            await dave.GotoAsync(server.WebAddress.ToString());
            await dave.GetByLabel("E-mail address").FillAsync(address);
            await dave.GetByLabel("Reference code").FillAsync(carolsCode);
            await dave.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Continue" }).ClickAsync();
            Assert.DoesNotContain("For Carol only", await dave.InnerTextAsync("body"));
            Assert.DoesNotContain("diagnosis", await dave.ContentAsync(), StringComparison.Ordinal);
        }

        await dave.GotoAsync(new Uri(server.WebAddress, "/inbox").ToString());
        Assert.DoesNotContain("For Carol only", await dave.InnerTextAsync("main"));
        Assert.All(await ReadMarksAsync(server), g => Assert.Null(g.FirstReadAt)); // nothing was marked read by Dave's tries

        // Carol's own view still works: the refusal is per user, not a broken page.
        await carol.GotoAsync(carolsMessage.ToString());
        Assert.Contains("Carol's diagnosis", await carol.InnerTextAsync(".body"));
        Assert.Contains(await ReadMarksAsync(server), g => g.Address == "carol@plain.test" && g.FirstReadAt is not null);
    }
}
