using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

/// <summary>Readings that race each other are each reported: none overwrites or swallows another's report.</summary>
public sealed partial class ReadReceiptDetailsTests
{
    [Fact]
    public async Task ReadingsFromNewNetworksAtOnce_EachOweTheirOwnNotice()
    {
        await using var held = await HeldAsync();
        using (var first = new PortalVisitor(held.Server.WebAddress, forwardedFor: "203.0.113.45", userAgent: Firefox))
        {
            await RegisterAsync(first, held.Tokens[0]);
            await ReadFirstMessageAsync(first);
        }

        await MailAsync(held, m => m.Body is MimeKit.MultipartReport { ReportType: "disposition-notification" });
        string[] networks = ["198.51.100.7", "192.0.2.7", "2001:db8:5:6::7"];
        var readers = networks.Select(n => new PortalVisitor(held.Server.WebAddress, forwardedFor: n, userAgent: Chrome)).ToList();
        try
        {
            await Task.WhenAll(readers.Select(r => r.SignInAsync("carol@plain.test", Password)));
            await Task.WhenAll(readers.Select(ReadFirstMessageAsync));
        }
        finally
        {
            readers.ForEach(r => r.Dispose());
        }

        foreach (var network in new[] { "198.51.100.0/24", "192.0.2.0/24", "2001:db8:5:6::/64" })
        {
            await MailAsync(held, m => (m.Subject ?? "").StartsWith("Opened again", StringComparison.Ordinal) && (m.TextBody ?? "").Contains($"Network: {network}", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task TwoFirstReadingsAtOnce_OweTheReceipt_AndOneNoticeForTheOtherNetwork()
    {
        await using var held = await HeldAsync();
        using (var registering = new PortalVisitor(held.Server.WebAddress, forwardedFor: "203.0.113.45", userAgent: Firefox))
        {
            await RegisterAsync(registering, held.Tokens[0]);
        }

        using var one = new PortalVisitor(held.Server.WebAddress, forwardedFor: "203.0.113.45", userAgent: Firefox);
        using var other = new PortalVisitor(held.Server.WebAddress, forwardedFor: "198.51.100.7", userAgent: Chrome);
        await Task.WhenAll(one.SignInAsync("carol@plain.test", Password), other.SignInAsync("carol@plain.test", Password));
        await Task.WhenAll(ReadFirstMessageAsync(one), ReadFirstMessageAsync(other));

        var receipt = await MailAsync(held, m => m.Body is MimeKit.MultipartReport { ReportType: "disposition-notification" });
        var notice = await MailAsync(held, m => (m.Subject ?? "").StartsWith("Opened again", StringComparison.Ordinal));
        var firstNetwork = receipt.TextBody!.Contains("203.0.113.0/24", StringComparison.Ordinal) ? "203.0.113.0/24" : "198.51.100.0/24";
        Assert.Contains(firstNetwork == "203.0.113.0/24" ? "Network: 198.51.100.0/24" : "Network: 203.0.113.0/24", notice.TextBody);
        await held.Server.WaitForIdleQueueAsync();
        Assert.Equal(1, held.Sender.Messages.Count(m => (m.Parse().Subject ?? "").StartsWith("Opened again", StringComparison.Ordinal)));
    }
}
