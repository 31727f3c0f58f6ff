using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
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
            ["SecureFallback:Pickup:Retention"] = "7.00:00:00",
        });

        await server.SendAsync("alice@sender.test", ["carol@plain.test"], "Lab results", marker);

        var notice = Assert.Single(await senderServer.WaitForMessagesAsync(1));
        // Only the content-free pickup notice may reach a server without TLS, never the message.
        Assert.DoesNotContain(plain.Lines, l => l.Contains(marker, StringComparison.Ordinal));
        var carol = (await server.RecipientsAsync()).Single(r => r.Address == "carol@plain.test" && r.Message!.Kind == MessageKind.Submitted);
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
        Assert.Contains(carol.HoldUntil!.Value.UtcDateTime.ToString("f", System.Globalization.CultureInfo.GetCultureInfo("en")) + " UTC", text); // as English writes it, the zone named
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
            ["SecureFallback:Pickup:Retention"] = "00:00:02",
            ["SecureFallback:Pickup:ExpiryScanInterval"] = "00:00:01",
        });

        await server.SendAsync("alice@sender.test", ["carol@plain.test"], "Lab results", "body");

        var notices = await senderServer.WaitForMessagesAsync(2);
        var expired = notices.Select(n => n.Parse()).Single(n => n.Subject?.StartsWith("Not picked up", StringComparison.Ordinal) == true);
        var fields = Assert.IsType<MessageDeliveryStatus>(Assert.IsType<MultipartReport>(expired.Body)[1]).StatusGroups[1];
        Assert.Equal("failed", fields["Action"]);
        Assert.Equal("5.4.7", fields["Status"]);
        static bool IsHeldCopy(QueuedRecipient r) => r.Address == "carol@plain.test" && r.Message!.Kind == MessageKind.Submitted;
        var recipients = await server.WaitForRecipientsAsync(r => r.Any(x => IsHeldCopy(x) && x.Message!.ContentPurgedAt != null));
        var carol = recipients.Single(IsHeldCopy);
        Assert.Equal(RecipientStatus.PickupExpired, carol.Status);
        Assert.False(await HasContentAsync(server, carol.MessageId));
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

    [Fact]

    [Trait("Database", "SqliteOnly")] // reads key files or the SQLite file itself
    public async Task Hold_KeepsHeadersSubjectBodyAndAttachmentNamesOnlyAsCiphertext_UnderACertificateSealedKeyRing()
    {
        const string marker = "QV7-held-marker-3318";
        var certificateDirectory = Directory.CreateTempSubdirectory("sf-cert-").FullName;
        var certificatePath = Path.Combine(certificateDirectory, "keys.pfx");
        using (var rsa = System.Security.Cryptography.RSA.Create(2048))
        {
            var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=securefallback keys", rsa, System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(5));
            await File.WriteAllBytesAsync(certificatePath, certificate.Export(System.Security.Cryptography.X509Certificates.X509ContentType.Pfx, "pfx password"));
        }

        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Delivery:Routes:plain.test"] = plain.Route,
            ["SecureFallback:Protection:KeyProvider"] = "Certificate",
            ["SecureFallback:Protection:CertificatePath"] = certificatePath,
            ["SecureFallback:Protection:CertificatePassword"] = "pfx password",
        });
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Alice Example", "alice@sender.test")); // the notice names the sender by design
        message.To.Add(MailboxAddress.Parse("carol@plain.test"));
        message.Subject = $"Subject {marker}";
        message.Headers.Add("X-Case-Number", marker);
        var body = new BodyBuilder { TextBody = $"Body {marker}" };
        body.Attachments.Add($"{marker}.pdf", System.Text.Encoding.ASCII.GetBytes("%PDF-1.4"));
        message.Body = body.ToMessageBody();

        await server.SendAsync(message);
        await plain.WaitForMessageAsync(); // the notice: by now the copy is held
        await server.WaitForRecipientsAsync(r => r.Any(x => x.Status == RecipientStatus.HeldForPickup));

        Assert.NotEmpty(Directory.GetFiles(server.DataDirectory, "*-wal", SearchOption.AllDirectories)); // the WAL is searched too
        await DeliveryTests.GrepDataDirectoryAsync(server.DataDirectory, marker);
        Assert.NotEmpty(await DeliveryTests.FilesContainingAsync(server.DataDirectory, "carol@plain.test")); // the search does see clear data (the envelope)
        var keyFile = await File.ReadAllBytesAsync(Path.Combine(server.DataDirectory, "keys", "master-v1.key"));
        Assert.Equal("SFMK1"u8.ToArray(), keyFile[..5]);
        Assert.DoesNotContain(plain.Lines, l => l.Contains(marker, StringComparison.Ordinal));
        Directory.Delete(certificateDirectory, recursive: true);
    }

    [Fact]
    public async Task Expiry_UnderAFakeClock_TellsTheSenderOnlyAboutTheUnreadCopy_AndShredsBoth()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var senderServer = await TlsSmtpReceiver.StartAsync("mx.sender.test");
        await using var server = await SecureFallbackInstance.StartAsync(
            new Dictionary<string, string>
            {
                ["SecureFallback:Delivery:Routes:plain.test"] = plain.Route,
                ["SecureFallback:Delivery:Routes:sender.test"] = senderServer.Route,
                // About expiry alone: a month on the fake clock would also make the unread copy due for a TLS retry.
                ["SecureFallback:Pickup:DeliverWhenTlsReturns"] = "false",
            },
            time: clock);
        await server.SendAsync("alice@sender.test", ["carol@plain.test", "dave@plain.test"], "Results", "body");
        await plain.WaitForMessagesAsync(2); // both notices
        await senderServer.WaitForMessagesAsync(1); // "held" DSN

        await using (var scope = server.Services.CreateAsyncScope())
        {
            var held = scope.ServiceProvider.GetRequiredService<SecureFallback.Portal.HeldMessages>();
            var grant = await scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>().PickupGrants.SingleAsync(g => g.Address == "carol@plain.test");
            Assert.NotNull(await held.ReadAsync("carol@plain.test", grant.Id, SecureFallback.Portal.Reader.Unknown, CancellationToken.None));
        }

        await senderServer.WaitForMessagesAsync(2); // carol's read receipt
        clock.Advance(TimeSpan.FromDays(29));
        await Task.Delay(1500);
        Assert.Equal(2, senderServer.Messages.Count); // not yet: retention is 30 days on the fake clock
        clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(2));

        var expiredReport = (await senderServer.WaitForMessagesAsync(3)).Last().Parse();
        Assert.StartsWith("Not picked up", expiredReport.Subject);
        var groups = Assert.IsType<MessageDeliveryStatus>(Assert.IsType<MultipartReport>(expiredReport.Body)[1]).StatusGroups;
        Assert.Equal(["rfc822; dave@plain.test 5.4.7"], groups.Skip(1).Where(g => g.Contains("Final-Recipient")).Select(g => g["Final-Recipient"] + " " + g["Status"]).ToArray());
        static bool IsHeldCopy(QueuedRecipient r) => r.Message!.Kind == MessageKind.Submitted;
        var recipients = await server.WaitForRecipientsAsync(r => r.Where(IsHeldCopy).All(x => x.Message!.ContentPurgedAt != null));
        Assert.All(recipients.Where(IsHeldCopy), r => Assert.Equal(RecipientStatus.PickupExpired, r.Status));
        Assert.False(await HasContentAsync(server, recipients.First(IsHeldCopy).MessageId));
        await server.WaitForIdleQueueAsync();
        Assert.Equal(3, senderServer.Messages.Count); // nothing about carol, who read it
    }

    private static async Task<bool> HasContentAsync(SecureFallbackInstance server, Guid messageId)
    {
        await using var scope = server.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
        return await db.MessageContents.AnyAsync(c => c.MessageId == messageId);
    }
}
