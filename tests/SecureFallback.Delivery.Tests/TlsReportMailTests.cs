using System.Net;
using SecureFallback.Core.Reporting;
using SecureFallback.Delivery.Reports;
using SecureFallback.Delivery.Transport;

namespace SecureFallback.Delivery.Tests;

/// <summary>A TLS report's mail (RFC 8460 5.3) and where its https POSTs may go.</summary>
public sealed class TlsReportMailTests
{
    private static readonly DateTimeOffset Day = new(2026, 12, 5, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Compose_NamesTheReportIdAsAMsgId_AndIsDatedWhenSent()
    {
        var options = new TlsReportOptions { OrganizationName = "Example Health", ContactInfo = "tlsrpt@example.test" };
        var header = new TlsReportHeader("Example Health", "tlsrpt@example.test", "0190abcd", Day, Day.AddDays(1).AddSeconds(-1));
        var sentAt = Day.AddDays(1).AddHours(2);

        var mail = TlsReportMail.Compose(options, "postmaster@example.test", "mx.example.test", "partner.test", header, [1, 2, 3], "r@partner.test", sentAt);

        Assert.Equal("Report Domain: partner.test Submitter: example.test Report-ID: <0190abcd@example.test>", mail.Subject);
        Assert.Equal(sentAt, mail.Date);
    }

    [Theory]
    [InlineData("8.8.8.8", true)]
    [InlineData("2a00:1450:4001::1", true)]
    [InlineData("127.0.0.1", false)]
    [InlineData("10.1.2.3", false)]
    [InlineData("172.16.0.1", false)]
    [InlineData("192.168.1.1", false)]
    [InlineData("169.254.169.254", false)]
    [InlineData("100.64.0.1", false)]
    [InlineData("100.127.255.255", false)]
    [InlineData("100.128.0.1", true)]
    [InlineData("0.0.0.0", false)]
    [InlineData("224.0.0.1", false)]
    [InlineData("::1", false)]
    [InlineData("::", false)]
    [InlineData("fd00::1", false)]
    [InlineData("fe80::1", false)]
    [InlineData("ff02::1", false)]
    [InlineData("::ffff:10.0.0.1", false)]
    public void IsGloballyRoutable_RefusesLoopbackPrivateLinkLocalSharedAndSpecialAddresses(string address, bool expected) =>
        Assert.Equal(expected, PublicAddress.IsGloballyRoutable(IPAddress.Parse(address)));
}
