using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using SecureFallback.Core.Messages;
using SecureFallback.Data;
using SecureFallback.TestKit;

namespace SecureFallback.Browser.Tests;

[Collection(ChromiumCollection.Name)]
public sealed class DamagedMessageTests(ChromiumFixture chromium)
{
    [Fact]
    public async Task TamperedCiphertext_IsRefusedWithAClearPage_NothingShown_NoReadReceipt()
    {
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var senderServer = await TlsSmtpReceiver.StartAsync("mx.sender.test");
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Delivery:Routes:plain.test"] = plain.Route,
            ["SecureFallback:Delivery:Routes:sender.test"] = senderServer.Route,
        });
        var messageId = Guid.Parse((await server.SendAsync("alice@sender.test", ["carol@plain.test"], "Altered", "original wording")).Split(' ').Last());
        var notice = await plain.WaitForMessageAsync();
        await senderServer.WaitForMessagesAsync(1); // the "held" DSN
        await using (var scope = server.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
            var content = await db.MessageContents.SingleAsync(c => c.MessageId == messageId);
            var altered = content.Ciphertext.ToArray();
            altered[20] ^= 0x01; // one bit inside the first chunk, where the headers are
            content.Ciphertext = altered;
            await db.SaveChangesAsync();
        }

        await using var context = await chromium.NewContextAsync();
        var page = await context.NewPageAsync();
        await PortalSteps.RegisterThroughLinkAsync(page, server, PortalSteps.TokenIn(notice));
        Assert.Contains("(damaged: failed its integrity check)", await page.InnerTextAsync("main"));
        var href = await page.GetByRole(AriaRole.Link, new PageGetByRoleOptions { Name = "(damaged: failed its integrity check)" }).GetAttributeAsync("href");
        var response = await page.GotoAsync(new Uri(server.WebAddress, href).ToString());

        Assert.Equal(500, response!.Status);
        Assert.Contains("failed its integrity check", await page.InnerTextAsync("main"));
        Assert.DoesNotContain("original wording", await page.ContentAsync(), StringComparison.Ordinal);
        await server.WaitForIdleQueueAsync();
        Assert.Single(senderServer.Messages); // no read receipt for a message nobody could read
    }
}
