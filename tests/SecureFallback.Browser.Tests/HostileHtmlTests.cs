using Microsoft.Playwright;
using MimeKit;
using SecureFallback.TestKit;

namespace SecureFallback.Browser.Tests;

[Collection(ChromiumCollection.Name)]
public sealed class HostileHtmlTests(ChromiumFixture chromium)
{
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
    ];

    [Fact]
    public async Task HostileHtmlInABody_SubjectAndSenderName_RunsNoScriptInChromium()
    {
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Delivery:Routes:plain.test"] = plain.Route,
        });
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("<img src=x onerror=\"window.__xss='name'\">", "alice@sender.test"));
        message.To.Add(MailboxAddress.Parse("carol@plain.test"));
        message.Subject = "<script>window.__xss='subject'</script>Quarterly";
        var body = new BodyBuilder { HtmlBody = $"<p><b>visible-marker</b></p>{string.Concat(Vectors)}" };
        body.Attachments.Add("<img src=x onerror=\"window.__xss='file'\">.txt", "plain text"u8.ToArray());
        message.Body = body.ToMessageBody();
        await server.SendAsync(message);

        var notice = await plain.WaitForMessageAsync();
        var token = PortalSteps.TokenIn(notice);
        await using var context = await chromium.Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        var dialogs = 0;
        page.Dialog += async (_, dialog) => { dialogs++; await dialog.DismissAsync(); };
        await PortalSteps.RegisterThroughLinkAsync(page, server, token);
        Assert.Contains("<script>", await page.InnerTextAsync("table")); // shown as text, not run
        await page.Locator("a[href^='/messages/']").First.ClickAsync();
        await page.WaitForURLAsync("**/messages/**");
        await page.WaitForTimeoutAsync(500);

        Assert.Contains("visible-marker", await page.InnerTextAsync(".html-body"));
        Assert.Equal(0, await page.Locator(".html-body script, .html-body iframe, .html-body object, .html-body form, .html-body [onerror], .html-body [onload]").CountAsync());
        Assert.Equal(0, await page.Locator(".html-body a[href^='javascript']").CountAsync());
        Assert.Equal("undefined", await page.EvaluateAsync<string>("typeof window.__xss"));
        Assert.Equal(0, dialogs);
    }
}
