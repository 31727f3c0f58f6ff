using Microsoft.Playwright;
using SecureFallback.TestKit;

namespace SecureFallback.Browser.Tests;

[Collection(ChromiumCollection.Name)]
public sealed class FormLabelTests(ChromiumFixture chromium)
{
    [Fact]
    public async Task EveryVisibleFormField_OnEveryPortalPage_HasALabel()
    {
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Delivery:Routes:plain.test"] = plain.Route,
        });
        await server.SendAsync("alice@sender.test", ["carol@plain.test"], "Hello", "body");
        var notice = await plain.WaitForMessageAsync();
        await using var context = await chromium.NewContextAsync();
        var page = await context.NewPageAsync();
        var checkedFields = 0;

        async Task CheckAsync(string path)
        {
            if (path.Length > 0)
            {
                await page.GotoAsync(new Uri(server.WebAddress, path).ToString());
            }

            var unlabelled = await page.EvaluateAsync<string[]>(
                "() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')].filter(e => e.labels.length === 0).map(e => e.name || e.id)");
            Assert.True(unlabelled.Length == 0, $"{page.Url}: fields without a label: {string.Join(", ", unlabelled)}");
            checkedFields += await page.Locator("input:not([type=hidden])").CountAsync();
        }

        foreach (var path in new[] { "/", "/code", "/register", "/login", "/forgot-password", $"/pickup/{PortalSteps.TokenIn(notice)}" })
        {
            await CheckAsync(path);
        }

        await PortalSteps.FillNewPasswordAsync(page);
        await page.WaitForAddressAsync("**/inbox");
        await CheckAsync("/account/security");
        await page.GotoAsync(new Uri(server.WebAddress, "/register").ToString());
        await page.GetByLabel("E-mail address").FillAsync("someone@plain.test");
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Mail me a code" }).ClickAsync();
        await CheckAsync(""); // the code-and-password step
        Assert.True(checkedFields >= 14, $"only {checkedFields} fields were checked");
    }
}
