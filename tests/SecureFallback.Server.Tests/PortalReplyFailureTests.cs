using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SecureFallback.Core.Messages;
using SecureFallback.Data;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

/// <summary>
/// A reply goes from the notices' address (<c>Notices:From</c>), not the null sender; when it fails, the recipient
/// learns it on the portal, and no DSN is made: none to that address (a loop in the making), none to anyone outside.
/// </summary>
public sealed class PortalReplyFailureTests
{
    [Fact]
    public async Task Reply_RefusedByTheSendersServer_ShowsFailedOnThePortal_AndOwesNoDsnToAnyone()
    {
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var sender = await TlsSmtpReceiver.StartAsync("mx.sender.test");
        sender.RejectPermanently.Add("alice@sender.test");
        await using var server = await SecureFallbackInstance.StartAsync(PortalReplyTests.Settings(plain.Route, sender.Route, []));
        await server.SendAsync("alice@sender.test", ["carol@plain.test"], "Lab results", "original-body-marker");
        await plain.WaitForMessageAsync(); // the pickup notice
        using var carol = new PortalVisitor(server.WebAddress);
        var page = await PortalReplyTests.RegisterAsync(carol, plain);

        using var posted = await PortalReplyTests.PostReplyAsync(carol, page, "Confirmed.", null);

        var failed = (await server.WaitForRecipientsAsync(r => r.Any(x => x.Message!.Kind == MessageKind.PortalReply && x.Status == RecipientStatus.Failed)))
            .Single(x => x.Message!.Kind == MessageKind.PortalReply);
        Assert.Equal("secure-reply@portal.test", failed.Message!.EnvelopeFrom);
        await server.WaitForIdleQueueAsync();
        await using (var scope = server.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
            // The one DSN is the original's "held" DSN to alice; nothing was generated about the reply.
            var dsns = await db.Messages.AsNoTracking().Include(m => m.Recipients).Where(m => m.Kind == MessageKind.DeliveryStatusNotification).ToListAsync();
            Assert.Equal(["alice@sender.test"], dsns.SelectMany(m => m.Recipients).Select(r => r.Address));
        }

        var thread = await PortalReplyTests.ReadAsync(carol, page);
        Assert.Contains("<strong class=\"reply-state\">failed</strong>", thread, StringComparison.Ordinal);
        Assert.Contains("refused it", thread, StringComparison.Ordinal);
    }
}
