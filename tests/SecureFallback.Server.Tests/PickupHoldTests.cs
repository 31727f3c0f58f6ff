using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using SecureFallback.Core.Messages;
using SecureFallback.Data;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

public sealed class PickupHoldTests
{
    [Fact]
    public async Task Deliver_WhenTlsCannotBeHadAndPickupIsOn_HoldsTheEncryptedCopyAndTellsTheSenderUntilWhen()
    {
        const string marker = "held-body-marker-5521";
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var senderServer = await TlsSmtpReceiver.StartAsync("mx.sender.test");
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Delivery:Routes:plain.test"] = plain.Route,
            ["SecureFallback:Delivery:Routes:sender.test"] = senderServer.Route,
            ["SecureFallback:Pickup:Enabled"] = "true",
            ["SecureFallback:Pickup:Retention"] = "7.00:00:00",
        });

        await server.SendAsync("alice@sender.test", ["carol@plain.test"], "Lab results", marker);

        var notice = Assert.Single(await senderServer.WaitForMessagesAsync(1));
        Assert.False(plain.ReceivedMailTransaction);
        var carol = (await server.RecipientsAsync()).Single(r => r.Address == "carol@plain.test");
        Assert.Equal(RecipientStatus.HeldForPickup, carol.Status);
        Assert.InRange(carol.HoldUntil!.Value - carol.Message!.ReceivedAt, TimeSpan.FromDays(6.9), TimeSpan.FromDays(7.1));
        Assert.Null(carol.Message.ContentPurgedAt);
        Assert.True(await HasContentAsync(server, carol.MessageId));
        await DeliveryTests.GrepDataDirectoryAsync(server.DataDirectory, marker);

        var report = Assert.IsType<MultipartReport>(notice.Parse().Body);
        var fields = Assert.IsType<MessageDeliveryStatus>(report[1]).StatusGroups[1];
        Assert.Equal("relayed", fields["Action"]);
        Assert.Contains("STARTTLS", fields["Diagnostic-Code"]);
        var text = ((TextPart)report[0]).Text;
        Assert.Contains("held for secure pickup", text);
        Assert.Contains("offered no STARTTLS", text);
        Assert.Contains($"{carol.HoldUntil!.Value.UtcDateTime:yyyy-MM-dd HH:mm} UTC", text);
        Assert.StartsWith("Held for secure pickup", notice.Parse().Subject);
    }

    [Fact]
    public async Task Hold_WhenRetentionRunsOut_DestroysTheCopyAndTellsTheSenderItExpiredUnread()
    {
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var senderServer = await TlsSmtpReceiver.StartAsync("mx.sender.test");
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Delivery:Routes:plain.test"] = plain.Route,
            ["SecureFallback:Delivery:Routes:sender.test"] = senderServer.Route,
            ["SecureFallback:Pickup:Enabled"] = "true",
            ["SecureFallback:Pickup:Retention"] = "00:00:02",
            ["SecureFallback:Pickup:ExpiryScanInterval"] = "00:00:01",
        });

        await server.SendAsync("alice@sender.test", ["carol@plain.test"], "Lab results", "body");

        var notices = await senderServer.WaitForMessagesAsync(2);
        var expired = notices.Select(n => n.Parse()).Single(n => n.Subject?.StartsWith("Not picked up", StringComparison.Ordinal) == true);
        var fields = Assert.IsType<MessageDeliveryStatus>(Assert.IsType<MultipartReport>(expired.Body)[1]).StatusGroups[1];
        Assert.Equal("failed", fields["Action"]);
        Assert.Equal("5.4.7", fields["Status"]);
        var carol = await server.WaitForRecipientsAsync(r => r.Any(x => x.Address == "carol@plain.test" && x.Message!.ContentPurgedAt != null));
        Assert.Equal(RecipientStatus.PickupExpired, carol.Single(r => r.Address == "carol@plain.test").Status);
        Assert.False(await HasContentAsync(server, carol.Single(r => r.Address == "carol@plain.test").MessageId));
    }

    [Fact]
    public async Task Deliver_WithDeliveryReportsOn_TellsTheSenderTheHostAndTlsVersion()
    {
        await using var receiver = await TlsSmtpReceiver.StartAsync();
        await using var senderServer = await TlsSmtpReceiver.StartAsync("mx.sender.test");
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Delivery:Routes:tls.test"] = receiver.Route,
            ["SecureFallback:Delivery:Routes:sender.test"] = senderServer.Route,
            ["SecureFallback:Notices:DeliveredOverTls"] = "true",
        });

        await server.SendAsync("alice@sender.test", ["bob@tls.test"], "Contract", "body");

        var notice = Assert.Single(await senderServer.WaitForMessagesAsync(1)).Parse();
        Assert.Equal("Delivered securely (TLS)", notice.Subject);
        var report = Assert.IsType<MultipartReport>(notice.Body);
        var fields = Assert.IsType<MessageDeliveryStatus>(report[1]).StatusGroups[1];
        Assert.Equal("delivered", fields["Action"]);
        Assert.Equal("dns; 127.0.0.1", fields["Remote-MTA"]);
        Assert.Matches("delivered over Tls1[23]", fields["Diagnostic-Code"]);
        Assert.Contains("delivered over an encrypted (TLS) connection", ((TextPart)report[0]).Text);
    }

    private static async Task<bool> HasContentAsync(SecureFallbackInstance server, Guid messageId)
    {
        await using var scope = server.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
        return await db.MessageContents.AnyAsync(c => c.MessageId == messageId);
    }
}
