using Microsoft.Playwright;
using MimeKit;
using SecureFallback.TestKit;

namespace SecureFallback.Browser.Tests;

[Collection(ChromiumCollection.Name)]
public sealed class HostileHtmlTests(ChromiumFixture chromium)
{
    /// <summary>
    /// Each vector, if it ran, would set <c>window.__xss</c> (or open a dialog). They are placed in the HTML body,
    /// and the first ones also in the subject, the sender's name and attachment file names.
    /// </summary>
    private static readonly string[] Vectors =
    [
        "<script>window.__xss='script'</script>",
        "<img src=x onerror=\"window.__xss='img'\">",
        "<svg onload=\"window.__xss='svg'\"></svg>",
        "<body onload=\"window.__xss='body'\">",
        "<details open ontoggle=\"window.__xss='details'\"><summary>x</summary></details>",
        "<iframe srcdoc=\"<script>parent.__xss='iframe'</script>\"></iframe>",
        "<object data=\"javascript:window.__xss='object'\"></object>",
        "<math><mtext><table><mglyph><style><img src=x onerror=\"window.__xss='mxss'\"></style></mglyph></table></mtext></math>",
        "<a href=\"javascript:window.__xss='href'\" id=\"jslink\">link</a>",
        "<form action=\"javascript:window.__xss='form'\"><button id=\"go\">go</button></form>",
        "<div style=\"background:url(javascript:window.__xss='css')\">styled</div>",
        "<meta http-equiv=\"refresh\" content=\"0;url=javascript:window.__xss='meta'\">",
        "<svg><script>window.__xss='svgscript'</script></svg>",
        "<svg><animate onbegin=\"window.__xss='animate'\" attributeName=x dur=1s></animate></svg>",
        "<video><source onerror=\"window.__xss='video'\"></video>",
        "<audio src=x onerror=\"window.__xss='audio'\"></audio>",
        "<input autofocus onfocus=\"window.__xss='focus'\">",
        "<textarea autofocus onfocus=\"window.__xss='textarea'\"></textarea>",
        "<marquee onstart=\"window.__xss='marquee'\">m</marquee>",
        "<embed src=\"javascript:window.__xss='embed'\">",
        "<base href=\"javascript:window.__xss='base'//\">",
        "<iframe src=\"javascript:window.__xss='iframesrc'\"></iframe>",
        "<a href=\"jav&#x09;ascript:window.__xss='entity'\">tab</a>",
        "<a href=\"data:text/html,<script>window.__xss='data'</script>\">data</a>",
        "<scr<script>ipt>window.__xss='nested'</scr</script>ipt>",
        "<<script>script>window.__xss='double'<</script>/script>",
        "<noscript><p title=\"</noscript><img src=x onerror=window.__xss='noscript'>\"></noscript>",
        "<svg><foreignObject><img src=x onerror=\"window.__xss='foreign'\"></foreignObject></svg>",
        "<img src=x oNeRrOr=\"window.__xss='case'\">",
        "<img/src=x/onerror=window.__xss='slash'>",
        "\"><script>window.__xss='break'</script>",
        "<template><script>window.__xss='template'</script></template>",
        "<style>@import 'javascript:window.__xss=\"import\"';</style>",
        "<link rel=stylesheet href=\"javascript:window.__xss='link'\">",
        "<img src=\"x\" onerror=\"&#119;indow.__xss='entities'\">",
        "<svg><a xlink:href=\"javascript:window.__xss='xlink'\"><text y=20>x</text></a></svg>",
        "<button formaction=\"javascript:window.__xss='formaction'\">b</button>",
        "<isindex type=image src=1 onerror=\"window.__xss='isindex'\">",
        "<img src=x onerror=alert(1)>",
        "<svg><style><img src=x onerror=\"window.__xss='svgstyle'\"></style></svg>",
    ];

    /// <summary>Short vectors that fit a subject, a display name or a file name.</summary>
    private static readonly string[] HeaderVectors = Vectors.Where(v => v.Length < 60).Take(8).ToArray();

    [Fact]
    public async Task HostileHtmlInTheBody_Subject_SenderNameAndFileNames_RunsNoScriptInChromium()
    {
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Delivery:Routes:plain.test"] = plain.Route,
        });
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress(string.Concat(HeaderVectors), "alice@sender.test"));
        message.To.Add(MailboxAddress.Parse("carol@plain.test"));
        message.Subject = string.Concat(HeaderVectors) + "Quarterly";
        var body = new BodyBuilder { HtmlBody = $"<p><b>visible-marker</b></p>{string.Concat(Vectors)}" };
        foreach (var vector in HeaderVectors)
        {
            body.Attachments.Add(vector + ".txt", "plain text"u8.ToArray());
        }

        message.Body = body.ToMessageBody();
        await server.SendAsync(message);

        var notice = await plain.WaitForMessageAsync();
        var token = PortalSteps.TokenIn(notice);
        await using var context = await chromium.NewContextAsync();
        var page = await context.NewPageAsync();
        var dialogs = 0;
        page.Dialog += async (_, dialog) => { dialogs++; await dialog.DismissAsync(); };
        await page.AddInitScriptAsync("window.alert = window.confirm = window.prompt = () => { window.__xss = 'dialog'; };");
        await PortalSteps.RegisterThroughLinkAsync(page, server, token);
        await page.WaitForTimeoutAsync(500); // time for anything on the inbox page that would run
        Assert.Contains("<script>", await page.InnerTextAsync("table")); // shown as text, not run
        Assert.Equal("undefined", await page.EvaluateAsync<string>("typeof window.__xss"));
        await page.Locator("a[href^='/messages/']").First.ClickAsync();
        // The message's body, not a load state: the hostile HTML may keep the page's load event waiting.
        await page.Locator(".html-body").WaitForAsync();
        await page.WaitForTimeoutAsync(500);

        Assert.Contains("visible-marker", await page.InnerTextAsync(".html-body"));
        Assert.Equal(0, await page.Locator(".html-body script, .html-body iframe, .html-body object, .html-body form, .html-body [onerror], .html-body [onload]").CountAsync());
        Assert.Equal(0, await page.Locator(".html-body a[href^='javascript']").CountAsync());
        foreach (var selector in new[] { "#jslink", "#go", ".html-body button", ".html-body a" })
        {
            // Click what a curious recipient would click; nothing may run.
            foreach (var element in await page.Locator(selector).AllAsync())
            {
                await element.ClickAsync(new LocatorClickOptions { Timeout = 2000 }).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }

        await page.WaitForTimeoutAsync(300);
        Assert.True(page.Url.Contains("/messages/", StringComparison.Ordinal), page.Url);
        Assert.Equal(0, await page.Locator(".html-body [onfocus], .html-body [onbegin], .html-body [onstart], .html-body embed, .html-body base, .html-body link, .html-body svg script").CountAsync());
        Assert.Equal("undefined", await page.EvaluateAsync<string>("typeof window.__xss"));
        Assert.Equal(0, dialogs);
        Assert.True(Vectors.Length >= 30);
        Assert.Equal(8, HeaderVectors.Length);
        var attachments = await page.Locator("a[href*='handler=attachment']").AllInnerTextsAsync();
        Assert.Equal(HeaderVectors.Length, attachments.Count); // every hostile file name is listed, as text
    }
}
