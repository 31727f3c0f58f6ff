using MimeKit;
using SecureFallback.Core.Delivery;
using SecureFallback.Core.Messages;
using SecureFallback.Delivery.Notices;
using SecureFallback.Delivery.Routing;
using SecureFallback.Delivery.Transport;

namespace SecureFallback.Delivery.Tests;

public sealed class SmallRulesTests
{
    [Theory]
    [InlineData("127.0.0.1:2601", "127.0.0.1", 2601)]
    [InlineData("mx.example.net", "mx.example.net", 25)]
    [InlineData("mx.example.net:587", "mx.example.net", 587)]
    [InlineData("[::1]:2525", "::1", 2525)]
    [InlineData("::1", "::1", 25)]
    public void RouteParser_AcceptsHostAndOptionalPort(string value, string host, int port)
    {
        Assert.True(RouteParser.TryParse(value, 25, out var route));
        Assert.Equal((host, port), route);
    }

    [Theory]
    [InlineData("")]
    [InlineData("host:0")]
    [InlineData("host:70000")]
    [InlineData("host:port")]
    [InlineData("[::1")]
    [InlineData("two words:25")]
    public void RouteParser_RefusesMalformedRoutes(string value) =>
        Assert.False(RouteParser.TryParse(value, 25, out _));

    [Theory]
    [InlineData(550, "5.1.1 No such user", "5.1.1")]
    [InlineData(450, "4.2.1 Try later", "4.2.1")]
    [InlineData(550, "No such user", "5.0.0")]
    [InlineData(451, "5.1.1 inconsistent", "4.0.0")]
    public void EnhancedStatus_ComesFromTheReplyWhenItAgreesWithTheCode(int code, string text, string expected) =>
        Assert.Equal(expected, EnhancedStatus.From(code, text));
}

public sealed class DsnComposerTests
{
    [Fact]
    public void Compose_BuildsAnRfc3464ReportWithHeadersOnly()
    {
        var original = new QueuedMessage { Id = Guid.NewGuid(), EnvelopeFrom = "alice@sender.test", ReceivedAt = DateTimeOffset.UtcNow };
        var carol = QueuedRecipient.Create(original.Id, "carol@plain.test", original.ReceivedAt);
        carol.Message = original;
        var noStartTls = new HostAttemptResult(DeliveryOutcome.TlsUnavailable, FailureReason.StartTlsNotSupported, "the server did not offer STARTTLS", "5.7.10");
        carol.Bounce(new RecipientAttempt(noStartTls, "mx.plain.test"), original.ReceivedAt);
        var failed = new List<QueuedRecipient> { carol };
        var headers = HeaderList.Load(new MemoryStream("Subject: Lab results\r\nMessage-ID: <abc@sender.test>\r\n\r\n"u8.ToArray()));

        var dsn = new DsnComposer("sf.test", MailboxAddress.Parse("postmaster@sf.test"), TimeProvider.System).Compose(original, failed, headers);

        Assert.Equal("alice@sender.test", dsn.To.Mailboxes.Single().Address);
        Assert.Equal("auto-replied", dsn.Headers["Auto-Submitted"]);
        Assert.Equal("abc@sender.test", dsn.InReplyTo);
        var report = Assert.IsType<MultipartReport>(dsn.Body);
        Assert.Equal("delivery-status", report.ReportType);
        Assert.Contains("did not offer STARTTLS", ((TextPart)report[0]).Text);
        var status = Assert.IsType<MessageDeliveryStatus>(report[1]);
        Assert.Equal("dns; sf.test", status.StatusGroups[0]["Reporting-MTA"]);
        Assert.Equal("5.7.10", status.StatusGroups[1]["Status"]);
        Assert.Equal("dns; mx.plain.test", status.StatusGroups[1]["Remote-MTA"]);
        var returned = Assert.IsType<TextRfc822Headers>(report[2]);
        Assert.Equal("Lab results", returned.Message!.Subject);
    }
}

public sealed class ConnectionSplitTests
{
    private static List<DueRecipient> Messages(int count, int recipientsEach) =>
        [.. Enumerable.Range(0, count).SelectMany(m =>
        {
            var id = Guid.NewGuid();
            return Enumerable.Range(0, recipientsEach).Select(r => new DueRecipient((m * 10) + r, id, $"r{r}@busy.test", "busy.test"));
        })];

    [Theory]
    [InlineData(5, 8, 1)] // fewer messages than a chunk: one connection
    [InlineData(40, 8, 2)] // two and a half chunks: two connections
    [InlineData(500, 8, 8)] // a backlog: every allowed connection
    [InlineData(500, 1, 1)]
    public void SplitForConnections_GivesABusyDomainMoreConnections_NeverAPartSmallerThanAChunk(int messages, int allowed, int expectedParts)
    {
        var due = Messages(messages, 2);

        var parts = Queue.DeliveryWorker.SplitForConnections(due, allowed);

        Assert.Equal(expectedParts, parts.Count);
        Assert.Equal(due.Select(r => r.Id).Order(), parts.SelectMany(p => p).Select(r => r.Id).Order());
        // A message's recipients travel together (one transaction with the next hop).
        Assert.All(due.GroupBy(r => r.MessageId), message => Assert.Single(parts, p => p.Any(r => r.MessageId == message.Key)));
    }
}
