using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using SecureFallback.Core.Pickup;
using SecureFallback.Data;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

/// <summary>
/// The Message-ID is the sender's to write: an empty or malformed one must not wedge the DSN outbox, which carries
/// the held DSNs (and their PINs) of every later message.
/// </summary>
public sealed class PoisonOutboxTests
{
    [Theory]
    [InlineData("Message-ID:")]
    [InlineData("Message-ID: ()")]
    public async Task HeldDsns_StillGoOut_ForAMessageWithABadMessageId_AndForTheMessagesAfterIt(string messageIdLine)
    {
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var sender = await TlsSmtpReceiver.StartAsync("mx.sender.test");
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Delivery:Routes:plain.test"] = plain.Route,
            ["SecureFallback:Delivery:Routes:sender.test"] = sender.Route,
        });
        await using (var client = await RawSmtpClient.ConnectAsync(server.IntakePort))
        {
            Assert.StartsWith("354", await client.StartDataAsync("bob@sender.test", "dave@plain.test"));
            await client.SendRawAsync($"From: bob@sender.test\r\nTo: dave@plain.test\r\n{messageIdLine}\r\nSubject: odd\r\n\r\nheld body\r\n.\r\n");
            Assert.StartsWith("250", await client.ReadReplyAsync());
        }

        await server.SendAsync("alice@sender.test", ["carol@plain.test"], "Later", "held body");

        var dsns = (await sender.WaitForMessagesAsync(2)).Select(m => m.Parse()).ToList();
        Assert.All(dsns, m => Assert.True(m.Body is MultipartReport { ReportType: "delivery-status" }));
        Assert.Contains(dsns, m => m.To.Mailboxes.Single().Address == "bob@sender.test");
        Assert.Contains(dsns, m => m.To.Mailboxes.Single().Address == "alice@sender.test");
    }
}

/// <summary>A reading report belongs to its grant: purging the grant removes its reports, so none is left orphaned.</summary>
public sealed class ReadingReportOrphanTests
{
    [Fact]
    public async Task PurgingAGrant_DeletesItsReadingReports()
    {
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var sender = await TlsSmtpReceiver.StartAsync("mx.sender.test");
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Delivery:Routes:plain.test"] = plain.Route,
            ["SecureFallback:Delivery:Routes:sender.test"] = sender.Route,
        });
        await server.SendAsync("bob@sender.test", ["dave@plain.test"], "First", "held body");
        await sender.WaitForMessagesAsync(1); // the held DSN: dave's grant exists
        await using (var scope = server.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
            var grant = await db.PickupGrants.SingleAsync();
            await using var write = await db.BeginWriteAsync(Data.Writes.WriteDurability.Full, CancellationToken.None);
            db.ReadingReports.Add(new ReadingReport { GrantId = grant.Id, ReadAt = DateTimeOffset.UtcNow, Network = "192.0.2.0/24", Browser = "Firefox" });
            await db.SaveChangesAsync();
            await db.PickupGrants.Where(g => g.Id == grant.Id).ExecuteDeleteAsync(); // as a purge of settled grants would
            await write.CommitAsync(CancellationToken.None);

            Assert.Equal(0, await db.ReadingReports.CountAsync());
        }
    }
}
