using Microsoft.Playwright;
using MimeKit;
using SecureFallback.TestKit;

namespace SecureFallback.Browser.Tests;

/// <summary>
/// The whole pickup with the keyboard alone: the notice's link is opened, and from there only Tab, Shift+Tab, Enter
/// and typing — no click, no address typed. Every element that takes the focus must show it.
/// </summary>
[Collection(ChromiumCollection.Name)]
public sealed class KeyboardPickupTests(ChromiumFixture chromium)
{
    private const string SkipLink = "Skip to main content";

    /// <summary>
    /// The focused element, and whether its focus can be seen: an outline of at least 2 px, or a box shadow (what
    /// the portal draws); Chromium's own thin ring does not count, so the portal's style is what is tested.
    /// </summary>
    private const string Focused = """
        () => {
            const e = document.activeElement;
            if (!e || e === document.body) return { name: '', tag: 'body', visible: false, tabbable: false };
            const s = getComputedStyle(e);
            const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2;
            const name = (e.labels && e.labels[0] ? e.labels[0].textContent : e.getAttribute('aria-label') || e.textContent || '').trim();
            return { name, tag: e.tagName.toLowerCase(), visible: outline || s.boxShadow !== 'none', tabbable: e.tabIndex >= 0 };
        }
        """;

    [Fact]
    public async Task Recipient_PicksUpWithTheKeyboardAlone_Registers_Reads_Downloads_AndSignsOut_SeeingTheFocusAtEachStep()
    {
        const string marker = "The lease renewal is attached.";
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Delivery:Routes:plain.test"] = plain.Route,
        });
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Alice Example", "alice@sender.test"));
        message.To.Add(MailboxAddress.Parse("carol@plain.test"));
        message.Subject = "Lease renewal";
        var attachmentBytes = "%PDF-1.4 lease"u8.ToArray();
        var body = new BodyBuilder { TextBody = marker };
        body.Attachments.Add("lease.pdf", attachmentBytes);
        message.Body = body.ToMessageBody();
        await server.SendAsync(message);
        var token = PortalSteps.TokenIn(await plain.WaitForMessageAsync());
        await using var context = await chromium.NewContextAsync();
        var page = await context.NewPageAsync();
        var steps = new List<string>();

        await page.GotoAsync(new Uri(server.WebAddress, $"pickup/{token}").ToString()); // the notice's link
        await TabToAsync(page, steps, SkipLink);
        await TabToAsync(page, steps, "Password");
        await page.Keyboard.TypeAsync(PortalSteps.Password);
        await TabToAsync(page, steps, "Repeat password");
        await page.Keyboard.TypeAsync(PortalSteps.Password);
        await TabToAsync(page, steps, "Create account and open messages");
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForAddressAsync("**/inbox");

        await SkipToMainAsync(page, steps);
        await TabToAsync(page, steps, "Lease renewal");
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForAddressAsync("**/messages/**");
        Assert.Contains(marker, await page.InnerTextAsync(".body"));

        await SkipToMainAsync(page, steps);
        await TabToAsync(page, steps, "lease.pdf");
        var download = await page.RunAndWaitForDownloadAsync(() => page.Keyboard.PressAsync("Enter"));
        Assert.Equal(attachmentBytes, await File.ReadAllBytesAsync((await download.PathAsync())!));

        await TabToAsync(page, steps, "Sign out", backwards: true);
        await page.Keyboard.PressAsync("Space");
        await page.WaitForAddressAsync("**/login");
        Assert.True(steps.Count >= 8, string.Join(" → ", steps));
    }

    /// <summary>The first Tab on a page reaches the skip link; Enter moves the focus into the main content.</summary>
    private static async Task SkipToMainAsync(IPage page, List<string> steps)
    {
        // The address changes when the response starts (commit); a Tab pressed before the document is parsed lands
        // on an empty body, so the keys wait for the document as a user's eyes would.
        await page.WaitForLoadStateAsync(LoadState.DOMContentLoaded);
        await page.Keyboard.PressAsync("Tab");
        var first = await page.EvaluateAsync<FocusedElement>(Focused);
        Assert.True(first.Name == SkipLink, $"{page.Url}: the first Tab reached {first.Tag} \"{first.Name}\", not the skip link");
        Assert.True(first.Visible, $"{page.Url}: the skip link's focus is not visible");
        await page.Keyboard.PressAsync("Enter");
        Assert.Equal("main", await page.EvaluateAsync<string>("() => document.activeElement.tagName.toLowerCase()"));
        steps.Add(SkipLink);
    }

    /// <summary>Presses Tab (or Shift+Tab) until the element named <paramref name="name"/> has the focus; each element passed on the way must show its focus.</summary>
    private static async Task TabToAsync(IPage page, List<string> steps, string name, bool backwards = false)
    {
        for (var presses = 0; presses < 30; presses++)
        {
            await page.Keyboard.PressAsync(backwards ? "Shift+Tab" : "Tab");
            var focused = await page.EvaluateAsync<FocusedElement>(Focused);
            Assert.True(focused.Tag == "body" || !focused.Tabbable || focused.Visible, $"{page.Url}: {focused.Tag} \"{focused.Name}\" has the focus, but it cannot be seen");
            if (focused.Name == name)
            {
                steps.Add(name);
                return;
            }
        }

        Assert.Fail($"{page.Url}: \"{name}\" was not reached with {(backwards ? "Shift+Tab" : "Tab")} (steps so far: {string.Join(" → ", steps)})");
    }

    private sealed class FocusedElement
    {
        public string Name { get; set; } = "";

        public string Tag { get; set; } = "";

        public bool Visible { get; set; }

        public bool Tabbable { get; set; }
    }
}
