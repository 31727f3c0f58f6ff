using System.Text.RegularExpressions;
using Microsoft.Playwright;
using SecureFallback.TestKit;

namespace SecureFallback.Browser.Tests;

[Collection(ChromiumCollection.Name)]
public sealed partial class PortalBrandingTests(ChromiumFixture chromium)
{
    private const string Organization = "Example Health Ltd";
    private const string Support = "Questions? Call +41 44 000 00 00";

    /// <summary>A 1×1 PNG: the signature, IHDR, IDAT and IEND chunks.</summary>
    private static readonly byte[] Png = Convert.FromBase64String(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==");

    [Fact]
    public async Task FrontPage_CarriesTheConfiguredNameLogoColourAndSupportLine()
    {
        var logo = Path.Combine(Path.GetTempPath(), $"logo-{Guid.NewGuid():N}.png");
        await File.WriteAllBytesAsync(logo, Png);
        try
        {
            await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
            {
                ["SecureFallback:Branding:OrganizationName"] = Organization,
                ["SecureFallback:Branding:LogoPath"] = logo,
                ["SecureFallback:Branding:AccentColor"] = "#b03a2e",
                ["SecureFallback:Branding:SupportContact"] = Support,
            });
            await using var context = await chromium.NewContextAsync();
            var page = await context.NewPageAsync();
            var consoleErrors = new List<string>();
            page.Console += (_, m) => { if (m.Type == "error") consoleErrors.Add(m.Text); }; // a CSP refusal shows here

            await page.GotoAsync(server.WebAddress.ToString());

            Assert.Contains(Organization, await page.InnerTextAsync("header"));
            Assert.Contains(Support, await page.InnerTextAsync("footer"));
            var image = page.Locator("header img");
            Assert.Equal("", await image.GetAttributeAsync("alt")); // the name is written beside it
            Assert.True(await image.EvaluateAsync<bool>("i => i.complete && i.naturalWidth === 1"), "the logo did not load");
            var source = new Uri(server.WebAddress, await image.GetAttributeAsync("src"));
            Assert.Equal(server.WebAddress.Authority, source.Authority);
            var answer = await context.APIRequest.GetAsync(source.ToString());
            Assert.Equal("image/png", answer.Headers["content-type"]);
            Assert.Equal(Png, await answer.BodyAsync());
            Assert.Contains("max-age", answer.Headers["cache-control"]);
            Assert.Equal("rgb(176, 58, 46)", await page.EvaluateAsync<string>("() => getComputedStyle(document.querySelector('header')).borderBottomColor"));
            Assert.Equal("rgb(176, 58, 46)", await page.EvaluateAsync<string>("() => getComputedStyle(document.querySelector('main button')).backgroundColor"));
            Assert.Empty(consoleErrors);
        }
        finally
        {
            File.Delete(logo);
        }
    }

    [Fact]
    public async Task PageTitles_NamePageThenOrganisation_NeverRepeated()
    {
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Branding:OrganizationName"] = Organization,
            ["SecureFallback:Delivery:Routes:plain.test"] = plain.Route,
        });
        await server.SendAsync("alice@sender.test", ["carol@plain.test"], "Lab results", "body");
        var notice = await plain.WaitForMessageAsync();
        await using var context = await chromium.NewContextAsync();
        var page = await context.NewPageAsync();
        var titles = new List<string>();

        async Task CheckAsync()
        {
            var title = await page.TitleAsync();
            titles.Add(title);
            var parts = title.Split(" – ");
            Assert.True(parts.Length == 2 && parts[1] == Organization, $"{page.Url}: '{title}' is not '<page> – {Organization}'");
            Assert.True(parts[0].Length > 0 && !parts[0].Contains(Organization, StringComparison.Ordinal), $"{page.Url}: '{title}'");
        }

        foreach (var path in new[] { "/", "/code", "/register", "/login", "/forgot-password", "/login/passkey", "/error/404" })
        {
            await page.GotoAsync(new Uri(server.WebAddress, path).ToString());
            await CheckAsync();
        }

        await PortalSteps.RegisterThroughLinkAsync(page, server, PortalSteps.TokenIn(notice));
        await CheckAsync();
        await page.GetByRole(AriaRole.Link, new PageGetByRoleOptions { Name = "Lab results" }).ClickAsync();
        await page.WaitForAddressAsync("**/messages/**");
        await CheckAsync();
        Assert.Equal("Lab results – " + Organization, titles[^1]);
        Assert.Equal("Secure message pickup – " + Organization, titles[0]);
        Assert.DoesNotContain(titles, t => RepeatedPart().IsMatch(t));
    }

    [GeneratedRegex(@"^(.+) – \1$")]
    private static partial Regex RepeatedPart();
}
