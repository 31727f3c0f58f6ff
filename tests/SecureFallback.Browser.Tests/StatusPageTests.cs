using Microsoft.Playwright;
using SecureFallback.TestKit;

namespace SecureFallback.Browser.Tests;

[Collection(ChromiumCollection.Name)]
public sealed class StatusPageTests(ChromiumFixture chromium)
{
    [Fact]
    public async Task StatusPage_RendersInChromium_WithTheIntakeAndQueueCounts()
    {
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Delivery:Routes:example.test"] = "127.0.0.1:9",
            ["SecureFallback:Delivery:RetrySchedule:0"] = "01:00:00",
        });
        await server.SendAsync("alice@sender.test", ["bob@example.test"], "Hello", "body");
        await using var context = await chromium.NewContextAsync();
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, message) => { if (message.Type == "error") errors.Add(message.Text); };

        var response = await page.GotoAsync(new Uri(server.WebAddress, "status").ToString());

        Assert.Equal(200, response!.Status);
        Assert.Equal("SecureFallback", await page.TitleAsync());
        var intakeRow = page.Locator("tr", new PageLocatorOptions { HasText = "SMTP intake" });
        Assert.Contains($"127.0.0.1:{server.IntakePort}", await intakeRow.InnerTextAsync());
        var queued = page.Locator("tr", new PageLocatorOptions { HasText = "Queued recipients" });
        Assert.Contains("1", await queued.InnerTextAsync());
        Assert.Empty(errors);
    }
}
