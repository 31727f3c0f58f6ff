using System.Text.RegularExpressions;
using Microsoft.Playwright;
using SecureFallback.TestKit;

namespace SecureFallback.Browser.Tests;

[Collection(ChromiumCollection.Name)]
public sealed partial class PortalLanguageTests(ChromiumFixture chromium)
{
    /// <summary>Per language: the switch's name for it, the front page's and the sign-in page's headings.</summary>
    public static TheoryData<string, string, string, string> Languages => new()
    {
        { "en", "English", "Secure message pickup", "Sign in" },
        { "de", "Deutsch", "Sichere Nachrichtenabholung", "Anmelden" },
        { "fr", "Français", "Retrait sécurisé de messages", "Connexion" },
        { "es", "Español", "Recogida segura de mensajes", "Iniciar sesión" },
        { "nl", "Nederlands", "Berichten veilig ophalen", "Inloggen" },
    };

    [Theory]
    [MemberData(nameof(Languages))]
    public async Task AcceptLanguage_ChoosesThePagesLanguage_AndLangSaysIt(string code, string name, string frontHeading, string signInHeading)
    {
        await using var server = await SecureFallbackInstance.StartAsync();
        await using var context = await chromium.NewContextAsync(new BrowserNewContextOptions { Locale = code + "-XY", ExtraHTTPHeaders = new Dictionary<string, string> { ["Accept-Language"] = $"{code}-XY, {code};q=0.9" } });
        var page = await context.NewPageAsync();

        await page.GotoAsync(server.WebAddress.ToString());
        Assert.Equal(frontHeading, await page.InnerTextAsync("h1"));
        Assert.Equal(code, await page.GetAttributeAsync("html", "lang"));
        Assert.Equal("page", await page.Locator($"a[hreflang={code}]").GetAttributeAsync("aria-current"));
        Assert.Equal(name, await page.InnerTextAsync($"a[hreflang={code}]"));
        await page.GotoAsync(new Uri(server.WebAddress, "login").ToString());
        Assert.Equal(signInHeading, await page.InnerTextAsync("h1"));
    }

    [Theory]
    [MemberData(nameof(Languages))]
    public async Task LanguageSwitch_WithoutJavaScript_ChoosesTheLanguage_AndReturnsToTheSamePage(string code, string name, string frontHeading, string signInHeading)
    {
        await using var server = await SecureFallbackInstance.StartAsync();
        // The browser asks for another language than the one chosen: the choice wins, and stays.
        var other = code == "nl" ? "fr" : "nl";
        await using var context = await chromium.NewContextAsync(new BrowserNewContextOptions { JavaScriptEnabled = false, ExtraHTTPHeaders = new Dictionary<string, string> { ["Accept-Language"] = other } });
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(server.WebAddress, "login?ReturnUrl=%2Finbox").ToString());

        await page.GetByRole(AriaRole.Link, new PageGetByRoleOptions { Name = name, Exact = true }).ClickAsync();

        // The address is the same before and after, so wait for the page in the new language, then check the address.
        await page.WaitForSelectorAsync($"html[lang={code}]", new PageWaitForSelectorOptions { State = WaitForSelectorState.Attached });
        Assert.EndsWith("/login?ReturnUrl=%2Finbox", page.Url, StringComparison.Ordinal);
        Assert.Equal(signInHeading, await page.InnerTextAsync("h1"));
        Assert.Equal(code, await page.GetAttributeAsync("html", "lang"));
        await page.GotoAsync(server.WebAddress.ToString());
        Assert.Equal(frontHeading, await page.InnerTextAsync("h1"));
        Assert.Equal(code, await page.GetAttributeAsync("html", "lang"));
    }

    [Fact]
    public async Task LanguageSwitch_OnAMissingPage_ReturnsToTheAddressAsked_NotToTheErrorPage()
    {
        await using var server = await SecureFallbackInstance.StartAsync();
        await using var context = await chromium.NewContextAsync(new BrowserNewContextOptions { JavaScriptEnabled = false });
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(server.WebAddress, "messages-gone?x=1").ToString());

        await page.GetByRole(AriaRole.Link, new PageGetByRoleOptions { Name = "Français", Exact = true }).ClickAsync();

        await page.WaitForSelectorAsync("html[lang=fr]", new PageWaitForSelectorOptions { State = WaitForSelectorState.Attached });
        Assert.EndsWith("/messages-gone?x=1", page.Url, StringComparison.Ordinal);
        Assert.Equal("Cette page n’existe pas", await page.InnerTextAsync("h1"));
        Assert.Equal("fr", await page.GetAttributeAsync("html", "lang"));
    }

    [Theory]
    [InlineData("https://evil.example/")]
    [InlineData("//evil.example/")]
    [InlineData("/\\evil.example/")]
    [InlineData("javascript:alert(1)")]
    public async Task LanguageSwitch_NeverRedirectsAway(string returnUrl)
    {
        await using var server = await SecureFallbackInstance.StartAsync();
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = server.WebAddress };

        var answer = await http.GetAsync($"/language/de?returnUrl={Uri.EscapeDataString(returnUrl)}");

        Assert.Equal(System.Net.HttpStatusCode.Redirect, answer.StatusCode);
        Assert.Equal("/", answer.Headers.Location!.OriginalString);
        Assert.Contains(answer.Headers.GetValues("Set-Cookie"), c => c.Contains("de", StringComparison.Ordinal));
    }

    /// <summary>Return addresses as they arrive in the query (still percent-encoded): control characters, a backslash
    /// however encoded lead to the front page; a path with letters outside ASCII comes back, percent-encoded.</summary>
    [Theory]
    [InlineData("/%5Cevil.example/", "/")]
    [InlineData("/%255Cevil.example/", "/")]
    [InlineData("/%09/evil.example/", "/")]
    [InlineData("/inbox%0d%0aSet-Cookie:%20x=y", "/")]
    [InlineData("/%C3%A9", "/%C3%A9")]
    [InlineData("/%25C3%25A9", "/%C3%A9")]
    [InlineData("/%C3%A9%3Fq%3D%C3%BC%26r%3D1", "/%C3%A9?q=%C3%BC&r=1")]
    public async Task LanguageSwitch_EncodesTheReturnPath_AndRefusesControlCharactersAndBackslashes(string rawReturnUrl, string location)
    {
        await using var server = await SecureFallbackInstance.StartAsync();
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = server.WebAddress };

        var answer = await http.GetAsync($"/language/fr?returnUrl={rawReturnUrl}");

        Assert.Equal(System.Net.HttpStatusCode.Redirect, answer.StatusCode);
        Assert.Equal(location, answer.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task LanguageSwitch_OnAMissingPageWithANonAsciiPath_ReturnsThere()
    {
        await using var server = await SecureFallbackInstance.StartAsync();
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = server.WebAddress };
        var missing = await (await http.GetAsync("/caf%C3%A9-gone")).Content.ReadAsStringAsync();
        var link = System.Net.WebUtility.HtmlDecode(SwitchLink().Match(missing).Groups[1].Value);

        var answer = await http.GetAsync(link);

        Assert.Equal(System.Net.HttpStatusCode.Redirect, answer.StatusCode);
        Assert.Equal("/caf%C3%A9-gone", answer.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task GermanPages_ShowNoEnglish()
    {
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Branding:OrganizationName"] = "Beispiel AG",
            ["SecureFallback:Branding:SupportContact"] = "Fragen? +41 44 000 00 00",
            ["SecureFallback:Delivery:Routes:plain.test"] = plain.Route,
        });
        await server.SendAsync("alice@sender.test", ["carol@plain.test"], "Laborwerte", "Inhalt");
        var notice = await plain.WaitForMessageAsync();
        var token = PortalSteps.TokenIn(notice);
        await using var context = await chromium.NewContextAsync(new BrowserNewContextOptions { Locale = "de-DE", ExtraHTTPHeaders = new Dictionary<string, string> { ["Accept-Language"] = "de-DE" } });
        var page = await context.NewPageAsync();
        var checkedPages = new List<string>();

        async Task CheckAsync()
        {
            var text = await page.TitleAsync() + "\n" + await page.InnerTextAsync("body");
            // The switch names each language in itself ("English"); everything else must be German.
            text = text.Replace("English", "", StringComparison.Ordinal);
            var english = EnglishWords().Matches(text).Select(m => m.Value).Distinct().ToList();
            Assert.True(english.Count == 0, $"{page.Url}: English on a German page: {string.Join(", ", english)}\n{text}");
            Assert.Equal("de", await page.GetAttributeAsync("html", "lang"));
            checkedPages.Add(page.Url);
        }

        foreach (var path in new[] { "/", "/code", "/register", "/login", "/forgot-password", "/login/two-factor", "/login/passkey", "/error/404", "/error/500", "/no-such-page", "/pickup/unknown-token", $"/pickup/{token}" })
        {
            await page.GotoAsync(new Uri(server.WebAddress, path).ToString());
            await CheckAsync();
        }

        await page.GetByLabel("Passwort", new PageGetByLabelOptions { Exact = true }).FillAsync("kurz");
        await page.GetByLabel("Passwort wiederholen").FillAsync("kurz");
        await page.EvaluateAsync("() => document.querySelectorAll('input').forEach(i => i.removeAttribute('minlength'))");
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Konto anlegen und Nachrichten öffnen" }).ClickAsync();
        await page.WaitForAddressAsync($"**/pickup/{token}");
        Assert.Contains("12", await page.InnerTextAsync(".error")); // Identity's "at least 12 characters", in German
        await CheckAsync();
        await page.GetByLabel("Passwort", new PageGetByLabelOptions { Exact = true }).FillAsync(PortalSteps.Password);
        await page.GetByLabel("Passwort wiederholen").FillAsync(PortalSteps.Password);
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Konto anlegen und Nachrichten öffnen" }).ClickAsync();
        await page.WaitForAddressAsync("**/inbox");
        await CheckAsync();
        Assert.Matches(@"\d{1,2}\. Dezember \d{4}|\d{1,2}\. \w+ \d{4}, \d\d:\d\d UTC", await page.InnerTextAsync("table"));
        await page.GetByRole(AriaRole.Link, new PageGetByRoleOptions { Name = "Laborwerte" }).ClickAsync();
        await page.WaitForAddressAsync("**/messages/**");
        await CheckAsync();
        Assert.Matches(@"\d{1,2}\. \w+ \d{4}, \d\d:\d\d UTC", await page.InnerTextAsync("main"));
        foreach (var path in new[] { "/account/security", "/account/passkeys" })
        {
            await page.GotoAsync(new Uri(server.WebAddress, path).ToString());
            await CheckAsync();
        }

        Assert.Equal(17, checkedPages.Count);
    }

    /// <summary>Common English words that no German page of ours contains (names, addresses and the subject aside).</summary>
    [GeneratedRegex(@"\b(the|your|you|and|with|this|message|messages|password|sign|account|enter|please|here|back|new|waiting|from|date|subject|error|page|not|code from)\b", RegexOptions.IgnoreCase)]
    private static partial Regex EnglishWords();

    [GeneratedRegex("href=\"(/language/fr\\?returnUrl=[^\"]*)\"")]
    private static partial Regex SwitchLink();
}
