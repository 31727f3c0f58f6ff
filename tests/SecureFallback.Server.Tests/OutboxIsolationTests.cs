using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using SecureFallback.Core.Messages;
using SecureFallback.Data;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

/// <summary>
/// One address no mail can be written to (an admin's e-mail such as <c>Ops &lt;admin@ops.test&gt;</c>, or a sender an
/// older intake stored unquoted) costs only its own report: every other outbox, and the held DSN carrying a PIN
/// above all, still goes out.
/// </summary>
public sealed class OutboxIsolationTests
{
    [Fact]
    public async Task HeldDsn_StillGoesOut_WhenAnAdminAndALockedCopysSenderHaveUnaddressableAddresses()
    {
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var sender = await TlsSmtpReceiver.StartAsync("mx.sender.test");
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Delivery:Routes:plain.test"] = plain.Route,
            ["SecureFallback:Delivery:Routes:sender.test"] = sender.Route,
            ["SecureFallback:Delivery:Routes:ops.test"] = sender.Route,
        });
        await server.SendAsync("bob@sender.test", ["dave@plain.test"], "First", "held body");
        await sender.WaitForMessagesAsync(1); // its held DSN
        await server.AddPortalUserAsync("broken@ops.test", "an admin password 123", "Admin");
        await server.AddPortalUserAsync("admin@ops.test", "an admin password 123", "Admin");
        await server.AddPortalUserAsync("mallory@plain.test", "a long portal password");
        await using (var scope = server.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
            var broken = await db.Users.SingleAsync(u => u.Email == "broken@ops.test");
            broken.Email = "Ops <broken@ops.test>"; // as an admin's e-mail could be typed before addresses were checked
            (await db.Users.SingleAsync(u => u.Email == "mallory@plain.test")).DisownReportPending = true;
            var first = await db.Messages.Include(m => m.Recipients).SingleAsync(m => m.Kind == MessageKind.Submitted);
            first.EnvelopeFrom = "john smith@sender.test"; // as an older intake stored a quoted local part
            first.Recipients.Single().LockPickup(DateTimeOffset.UtcNow);
            await db.SaveChangesAsync();
        }

        await server.SendAsync("alice@sender.test", ["carol@plain.test"], "Second", "held body");

        var mails = await sender.WaitForMessagesAsync(3); // the first DSN, the second DSN, the good admin's report
        var parsed = mails.Select(m => m.Parse()).ToList();
        Assert.Contains(parsed, m => m.To.Mailboxes.Single().Address == "alice@sender.test" && m.Body is MultipartReport { ReportType: "delivery-status" });
        Assert.Contains(parsed, m => m.To.Mailboxes.Single().Address == "admin@ops.test" && (m.TextBody ?? "").Contains("mallory@plain.test", StringComparison.Ordinal));
        await server.WaitForRecipientsAsync(rs => rs.All(r => !r.LockReportPending));
    }

    [Fact]
    public async Task NoPinIsIssued_WhenNoHeldDsnCanBeWrittenToTheSender()
    {
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        using var silent = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0); // accepts, never greets
        silent.Start();
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Delivery:Routes:plain.test"] = plain.Route,
            ["SecureFallback:Delivery:Routes:slow.test"] = $"127.0.0.1:{((System.Net.IPEndPoint)silent.LocalEndpoint).Port}",
            ["SecureFallback:Policies:plain.test:PickupPin"] = "true",
        });
        await server.SendAsync("alice@sender.test", ["carol@plain.test", "dave@slow.test"], "Lab results", "held body");
        await plain.WaitForMessagesAsync(1); // carol's notice: her grant exists, the DSN waits for dave's first attempt
        await using (var scope = server.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
            var message = await db.Messages.SingleAsync(m => m.Kind == MessageKind.Submitted);
            message.EnvelopeFrom = "Alice <alice@sender.test>"; // MimeKit parses it; no DSN can be addressed to it
            await db.SaveChangesAsync();
        }

        silent.Stop(); // dave's attempt fails; the DSN outbox now reports carol's hold
        await server.WaitForRecipientsAsync(rs => rs.All(r => !r.DsnPending && r.AttemptCount > 0), TimeSpan.FromSeconds(40));

        await using (var scope = server.Services.CreateAsyncScope())
        {
            var grant = await scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>().PickupGrants.SingleAsync();
            Assert.True(grant.PinRequired);
            Assert.Null(grant.PinHash); // an admin issues one; a PIN no DSN carries would lock the message for good
        }
    }
}
