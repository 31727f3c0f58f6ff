using MimeKit;
using SecureFallback.Core.Delivery;
using SecureFallback.Core.Messages;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

public sealed class DeliveryTests
{
    [Fact]
    public async Task Deliver_WhenReceiverOffersStartTls_DeliversOverTlsAndRecordsTheSession()
    {
        await using var receiver = await TlsSmtpReceiver.StartAsync();
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Delivery:Routes:tls.test"] = receiver.Route,
        });

        await server.SendAsync("alice@sender.test", ["bob@tls.test"], "Quarterly figures", "marker-body-text");

        var messages = await receiver.WaitForMessagesAsync(1);
        var received = Assert.Single(messages);
        Assert.True(received.OverTls);
        Assert.Equal("alice@sender.test", received.From);
        Assert.Equal(["bob@tls.test"], received.To);
        Assert.Contains("marker-body-text", received.Text);
        Assert.Contains("Received: from [127.0.0.1]", received.Text);

        var recipient = Assert.Single(await server.WaitForRecipientsAsync(r => r.All(x => x.Status == RecipientStatus.Delivered)));
        Assert.Equal(DeliveryOutcome.Delivered, recipient.LastOutcome);
        var attempt = Assert.Single(await server.AttemptsAsync());
        Assert.Equal("127.0.0.1", attempt.IpAddress);
        Assert.Equal(DeliveryOutcome.Delivered, attempt.Outcome);
        Assert.StartsWith("Tls1", attempt.TlsProtocol);
        Assert.False(string.IsNullOrEmpty(attempt.TlsCipher));
        Assert.Equal("CN=mx.tls.test", attempt.CertificateSubject);
        Assert.Equal(64, attempt.CertificateSha256!.Length);
        Assert.StartsWith("250", attempt.SmtpReply);
    }

    [Theory]
    [InlineData(ScriptedTlsBehaviour.NoStartTls, DeliveryOutcome.TlsUnavailable, FailureReason.StartTlsNotSupported)]
    [InlineData(ScriptedTlsBehaviour.BrokenHandshake, DeliveryOutcome.TlsFailed, FailureReason.ValidationFailure)]
    [InlineData(ScriptedTlsBehaviour.RefuseStartTls, DeliveryOutcome.TlsFailed, FailureReason.StartTlsNotSupported)]
    public async Task Deliver_WhenTlsCannotBeHad_SendsNothingInClearAndReturnsA5710Dsn(
        ScriptedTlsBehaviour behaviour, DeliveryOutcome expectedOutcome, string expectedReason)
    {
        await using var plain = new ScriptedSmtpReceiver(behaviour);
        await using var senderServer = await TlsSmtpReceiver.StartAsync("mx.sender.test");
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Pickup:Enabled"] = "false", // bounce mode: 5.7.10 instead of a hold
            ["SecureFallback:Delivery:Routes:plain.test"] = plain.Route,
            ["SecureFallback:Delivery:Routes:sender.test"] = senderServer.Route,
        });

        await server.SendAsync("alice@sender.test", ["carol@plain.test"], "Patient record", "secret-body-marker");

        var dsnMessages = await senderServer.WaitForMessagesAsync(1);
        Assert.True(plain.Connections >= 1);
        Assert.False(plain.ReceivedMailTransaction, "MAIL/RCPT/DATA reached a receiver without TLS: " + string.Join(" | ", plain.Lines));
        Assert.DoesNotContain(plain.Lines, l => l.Contains("secret-body-marker", StringComparison.Ordinal));

        var recipients = await server.WaitForRecipientsAsync(r => r.Count == 2 && r.All(x => x.Status != RecipientStatus.Queued));
        var carol = recipients.Single(r => r.Address == "carol@plain.test");
        Assert.Equal(RecipientStatus.Failed, carol.Status);
        Assert.Equal(expectedOutcome, carol.LastOutcome);
        Assert.Equal(expectedReason, carol.Reason);
        Assert.Equal("5.7.10", carol.StatusCode);

        var dsnMessage = Assert.Single(dsnMessages);
        Assert.Equal("", dsnMessage.From); // DSNs go out with the null sender
        Assert.Equal(["alice@sender.test"], dsnMessage.To);
        var dsn = dsnMessage.Parse();
        var report = Assert.IsType<MultipartReport>(dsn.Body);
        Assert.Equal("delivery-status", report.ReportType);
        var status = Assert.IsType<MessageDeliveryStatus>(report[1]);
        var perRecipient = status.StatusGroups[1];
        Assert.Equal("rfc822; carol@plain.test", perRecipient["Final-Recipient"]);
        Assert.Equal("failed", perRecipient["Action"]);
        Assert.Equal("5.7.10", perRecipient["Status"]);
        Assert.IsType<TextRfc822Headers>(report[2]);
        Assert.Contains("Subject: Patient record", dsnMessage.Text);
        Assert.DoesNotContain("secret-body-marker", dsnMessage.Text);
        Assert.Contains("not sent in clear text", ((TextPart)report[0]).Text);
    }

    [Fact]
    public async Task Deliver_WhenReceiverIsDown_RetriesAndDeliversOnceItIsUp()
    {
        var port = TestPorts.Free();
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Delivery:Routes:later.test"] = $"127.0.0.1:{port}",
        });

        await server.SendAsync("alice@sender.test", ["dave@later.test"], "Retry", "body");
        var waiting = await server.WaitForRecipientsAsync(r => r.Count == 1 && r[0].AttemptCount >= 1);
        Assert.Equal(RecipientStatus.Queued, waiting[0].Status);
        Assert.Equal(DeliveryOutcome.Transient, waiting[0].LastOutcome);

        await using var receiver = await TlsSmtpReceiver.StartAsync(port: port);
        await receiver.WaitForMessagesAsync(1);
        var delivered = await server.WaitForRecipientsAsync(r => r[0].Status == RecipientStatus.Delivered);
        Assert.True(delivered[0].AttemptCount >= 2);
        await server.WaitForIdleQueueAsync();
        Assert.Single(receiver.Messages);
    }

    [Fact]
    public async Task Deliver_MixedMessage_GetsAnOutcomePerRecipientAndOneDsnForTheFailures()
    {
        await using var tls = await TlsSmtpReceiver.StartAsync();
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var senderServer = await TlsSmtpReceiver.StartAsync("mx.sender.test");
        tls.RejectPermanently.Add("nobody@tls.test");
        tls.RejectTemporarily.Add("busy@tls.test");
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Pickup:Enabled"] = "false", // bounce mode: 5.7.10 instead of a hold
            ["SecureFallback:Delivery:Routes:tls.test"] = tls.Route,
            ["SecureFallback:Delivery:Routes:plain.test"] = plain.Route,
            ["SecureFallback:Delivery:Routes:sender.test"] = senderServer.Route,
            ["SecureFallback:Delivery:RetrySchedule:0"] = "01:00:00",
        });

        await server.SendAsync("alice@sender.test", ["bob@tls.test", "nobody@tls.test", "busy@tls.test", "carol@plain.test"], "Mixed", "body");

        var dsnMessage = Assert.Single(await senderServer.WaitForMessagesAsync(1));
        var recipients = await server.WaitForRecipientsAsync(r => r.Count(x => x.AttemptCount > 0 && x.Message!.Kind == MessageKind.Submitted) == 4);
        var byAddress = recipients.Where(r => r.Message!.Kind == MessageKind.Submitted).ToDictionary(r => r.Address);
        Assert.Equal(RecipientStatus.Delivered, byAddress["bob@tls.test"].Status);
        Assert.Equal(RecipientStatus.Failed, byAddress["nobody@tls.test"].Status);
        Assert.Equal(DeliveryOutcome.Permanent, byAddress["nobody@tls.test"].LastOutcome);
        Assert.Equal("5.1.1", byAddress["nobody@tls.test"].StatusCode);
        Assert.Equal(RecipientStatus.Queued, byAddress["busy@tls.test"].Status);
        Assert.Equal(DeliveryOutcome.Transient, byAddress["busy@tls.test"].LastOutcome);
        Assert.Equal(DeliveryOutcome.TlsUnavailable, byAddress["carol@plain.test"].LastOutcome);

        var received = Assert.Single(tls.Messages);
        Assert.Equal(["bob@tls.test"], received.To);

        var report = Assert.IsType<MultipartReport>(dsnMessage.Parse().Body);
        var status = Assert.IsType<MessageDeliveryStatus>(report[1]);
        var groups = status.StatusGroups.Skip(1).Where(g => g.Contains("Final-Recipient")).ToDictionary(g => g["Final-Recipient"]!, g => g["Status"]!);
        Assert.Equal(2, groups.Count);
        Assert.Equal("5.1.1", groups["rfc822; nobody@tls.test"]);
        Assert.Equal("5.7.10", groups["rfc822; carol@plain.test"]);
        await server.WaitForIdleQueueAsync();
        Assert.Single(senderServer.Messages); // one DSN for both failures, not one per domain
    }

    [Fact]
    public async Task Deliver_ALargeMessage_ArrivesWhole()
    {
        await using var receiver = await TlsSmtpReceiver.StartAsync();
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Delivery:Routes:tls.test"] = receiver.Route,
        });
        var attachment = new byte[25 * 1024 * 1024];
        new Random(42).NextBytes(attachment);
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("alice@sender.test"));
        message.To.Add(MailboxAddress.Parse("bob@tls.test"));
        message.Subject = "Scan";
        var body = new BodyBuilder { TextBody = "see attachment" };
        body.Attachments.Add("scan.bin", attachment);
        message.Body = body.ToMessageBody();

        await server.SendAsync(message);

        var received = Assert.Single(await receiver.WaitForMessagesAsync(1, TimeSpan.FromSeconds(60)));
        var part = Assert.Single(received.Parse().Attachments.OfType<MimePart>());
        using var decoded = new MemoryStream();
        await part.Content!.DecodeToAsync(decoded);
        Assert.Equal(attachment, decoded.ToArray());
    }

    [Fact]
    public async Task Deliver_ToDomainsSharingANextHop_ReusesOneTlsSession()
    {
        await using var receiver = await TlsSmtpReceiver.StartAsync();
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Delivery:Routes:one.test"] = receiver.Route,
            ["SecureFallback:Delivery:Routes:two.test"] = receiver.Route,
        });

        // One at a time, each sent once the previous one is recorded (and its session back in the cache).
        string[] recipients = ["bob@one.test", "carol@two.test", "dave@one.test"];
        for (var i = 0; i < recipients.Length; i++)
        {
            await server.SendAsync("alice@sender.test", [recipients[i]], $"Message {i}", "body");
            await server.WaitForRecipientsAsync(r => r.Count == i + 1 && r.All(x => x.Status == RecipientStatus.Delivered));
            await Task.Delay(200);
        }

        Assert.Equal(1, receiver.Sessions);
        Assert.All(receiver.Messages, m => Assert.True(m.OverTls));
    }

    [Fact]
    public async Task Deliver_AfterFinalOutcome_LeavesNoReadableContentUnderTheDataDirectory()
    {
        const string marker = "ZQX-unique-marker-7781";
        await using var receiver = await TlsSmtpReceiver.StartAsync();
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using (var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Pickup:Enabled"] = "false", // bounce mode: 5.7.10 instead of a hold
            ["SecureFallback:Delivery:Routes:tls.test"] = receiver.Route,
            ["SecureFallback:Delivery:Routes:plain.test"] = plain.Route,
        }))
        {
            await server.SendAsync("alice@sender.test", ["bob@tls.test", "carol@plain.test"], $"Subject {marker}", $"Body {marker}");
            await receiver.WaitForMessagesAsync(1);
            await server.WaitForRecipientsAsync(r => r.All(x => x.Status != RecipientStatus.Queued));
            await GrepDataDirectoryAsync(server.DataDirectory, marker);
        }
    }

    internal static async Task GrepDataDirectoryAsync(string directory, string marker) =>
        Assert.Empty(await FilesContainingAsync(directory, marker));

    /// <summary>Every file under <paramref name="directory"/> (database, WAL, keys, ...) whose bytes contain <paramref name="text"/>.</summary>
    internal static async Task<List<string>> FilesContainingAsync(string directory, string text)
    {
        var needle = System.Text.Encoding.UTF8.GetBytes(text);
        var found = new List<string>();
        foreach (var file in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories))
        {
            if ((await File.ReadAllBytesAsync(file)).AsSpan().IndexOf(needle) >= 0)
            {
                found.Add(file);
            }
        }

        return found;
    }
}
