using Microsoft.Playwright;
using SecureFallback.TestKit;

namespace SecureFallback.Browser.Tests;

[Collection(ChromiumCollection.Name)]
public sealed class IsolationTests(ChromiumFixture chromium)
{
    [Fact]
    public async Task SecondRecipient_CannotReachTheFirstOnesMessage_ByUrlOrId()
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

        await using var carolContext = await chromium.Browser.NewContextAsync();
        var carol = await carolContext.NewPageAsync();
        await PortalSteps.RegisterThroughLinkAsync(carol, server, TokenFor("carol@plain.test"));
        await carol.GetByRole(AriaRole.Link, new PageGetByRoleOptions { Name = "For Carol only" }).ClickAsync();
        await carol.WaitForURLAsync("**/messages/**");
        var carolsMessage = new Uri(carol.Url);

        await using var daveContext = await chromium.Browser.NewContextAsync();
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

        // Carol's own view still works: the refusal is per user, not a broken page.
        await carol.ReloadAsync();
        Assert.Contains("Carol's diagnosis", await carol.InnerTextAsync(".body"));
    }
}
