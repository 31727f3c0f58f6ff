using Microsoft.Playwright;
using SecureFallback.TestKit;

namespace SecureFallback.Browser.Tests;

/// <summary>
/// Someone who reads the recipient's mail path registers through the notice's link first; the real owner opens the
/// same link, says "I did not create this account", and the sender hears of it while the other session dies.
/// </summary>
[Collection(ChromiumCollection.Name)]
public sealed class NotMeTests(ChromiumFixture chromium)
{
    [Fact]
    public async Task Owner_FindsTheAccountTakenBySomeoneElse_LocksIt_TheSenderIsTold_AndTheOtherSessionIsDead()
    {
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var senderServer = await TlsSmtpReceiver.StartAsync("mx.sender.test");
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Delivery:Routes:plain.test"] = plain.Route,
            ["SecureFallback:Delivery:Routes:sender.test"] = senderServer.Route,
        });
        await server.SendAsync("alice@sender.test", ["carol@plain.test"], "Contract draft", "not-me-marker-body");
        var token = PortalSteps.TokenIn(await plain.WaitForMessageAsync());
        await senderServer.WaitForMessagesAsync(1); // the "held" DSN

        await using var attackerContext = await chromium.NewContextAsync();
        var attacker = await attackerContext.NewPageAsync();
        await PortalSteps.RegisterThroughLinkAsync(attacker, server, token);
        await attacker.GetByRole(AriaRole.Link, new PageGetByRoleOptions { Name = "Contract draft" }).ClickAsync();
        await attacker.WaitForAddressAsync("**/messages/**");
        Assert.Contains("not-me-marker-body", await attacker.InnerTextAsync(".body"));

        await using var ownerContext = await chromium.NewContextAsync();
        var owner = await ownerContext.NewPageAsync();
        await owner.GotoAsync(new Uri(server.WebAddress, $"pickup/{token}").ToString());
        Assert.True(await owner.GetByRole(AriaRole.Link, new PageGetByRoleOptions { Name = "Sign in" }).IsVisibleAsync());
        await owner.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "I did not create this account" }).ClickAsync();
        Assert.Contains("This account is locked", await owner.InnerTextAsync("main"));

        var reports = await senderServer.WaitForMessagesAsync(3); // held DSN, the attacker's read receipt, the lock report
        var locked = reports.Select(r => r.Parse()).Single(m => (m.Subject ?? "").StartsWith("Locked", StringComparison.Ordinal));
        Assert.Equal("alice@sender.test", locked.To.Mailboxes.Single().Address);
        Assert.Contains("carol@plain.test", locked.TextBody);
        Assert.Contains("was not created by them", (locked.TextBody ?? "").ReplaceLineEndings(" "));

        await attacker.ReloadAsync();
        Assert.Equal("/login", new Uri(attacker.Url).AbsolutePath); // the session died with the lock
        await owner.GotoAsync(new Uri(server.WebAddress, $"pickup/{token}").ToString());
        Assert.Contains("This account is locked", await owner.InnerTextAsync("main")); // and the link says so from now on
    }
}
