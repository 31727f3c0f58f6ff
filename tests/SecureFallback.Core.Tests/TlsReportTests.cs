using System.Text.Json;
using SecureFallback.Core.Delivery;
using SecureFallback.Core.Policies;
using SecureFallback.Core.Reporting;

namespace SecureFallback.Core.Tests;

/// <summary>SMTP TLS Reporting (RFC 8460): our results in its vocabulary, its record, and the report's JSON.</summary>
public sealed class TlsReportTests
{
    [Theory]
    [InlineData(FailureReason.StartTlsNotSupported, false, "starttls-not-supported")]
    [InlineData(FailureReason.CertificateHostMismatch, true, "certificate-host-mismatch")]
    [InlineData(FailureReason.CertificateExpired, false, "certificate-expired")]
    [InlineData(FailureReason.CertificateNotTrusted, false, "certificate-not-trusted")]
    [InlineData(FailureReason.ValidationFailure, false, "validation-failure")]
    [InlineData(FailureReason.TlsaInvalid, false, "tlsa-invalid")]
    [InlineData(FailureReason.DnssecInvalid, false, "dnssec-invalid")]
    [InlineData(FailureReason.DaneRequired, false, "dane-required")]
    [InlineData(null, true, "success")]
    [InlineData(FailureReason.TemporaryReply, true, "success")]
    [InlineData(FailureReason.RequireTlsNotSupported, true, "success")]
    [InlineData(FailureReason.ConnectionFailed, false, null)]
    [InlineData(FailureReason.Timeout, false, null)]
    [InlineData(FailureReason.PolicyPickup, false, null)]
    [InlineData(null, false, null)]
    public void Of_MapsOurReasons_ToTheRfc8460ResultTypes(string? reason, bool hadTlsSession, string? expected) =>
        Assert.Equal(expected, TlsRptResult.Of(reason, hadTlsSession));

    [Fact]
    public void FailureTypes_AreTheElevenIanaResultTypes() =>
        Assert.Equal(
            ["starttls-not-supported", "certificate-host-mismatch", "certificate-expired", "certificate-not-trusted", "validation-failure", "tlsa-invalid", "dnssec-invalid", "dane-required", "sts-policy-fetch-error", "sts-policy-invalid", "sts-webpki-invalid"],
            TlsRptResult.FailureTypes);

    [Theory]
    [InlineData("v=TLSRPTv1; rua=mailto:tls@partner.test", "mailto:tls@partner.test")]
    [InlineData("v=TLSRPTv1;rua=mailto:a@b.test,https://r.test/tlsrpt", "mailto:a@b.test https://r.test/tlsrpt")]
    [InlineData("v=TLSRPTv1; rua=http://insecure.test/x,ftp://x.test/y", "")]
    [InlineData("v=TLSRPTv2; rua=mailto:a@b.test", "")]
    [InlineData("rua=mailto:a@b.test; v=TLSRPTv1", "")]
    [InlineData("v=TLSRPTv1", "")]
    public void ReportAddresses_TakesMailtoAndHttps_FromOneValidRecord(string txt, string expected) =>
        Assert.Equal(expected, string.Join(' ', TlsRptRecord.ReportAddresses([txt, "v=spf1 -all"]).Select(u => u.OriginalString)));

    [Theory]
    [InlineData("v=TLSRPTv10; rua=mailto:x@b.test")]
    [InlineData("v=TLSRPTv1x; rua=mailto:x@b.test")]
    public void ReportAddresses_BesideAnotherVersionThatStartsLikeOurs_TakesOurs(string other) =>
        Assert.Equal(["mailto:a@b.test"], TlsRptRecord.ReportAddresses([other, "v=TLSRPTv1; rua=mailto:a@b.test"]).Select(u => u.OriginalString));

    [Fact]
    public void ReportAddresses_OfMailtoWithAnInvalidDomain_SkipsIt() =>
        Assert.Equal(["mailto:ok@b.test"], TlsRptRecord.ReportAddresses([$"v=TLSRPTv1; rua=mailto:a@{new string('l', 64)}.test,mailto:ok@b.test"]).Select(u => u.OriginalString));

    [Fact]
    public void ReportAddresses_LongerThanTheStoredColumn_AreDropped()
    {
        var overlong = $"https://r.test/{new string('a', TlsRptRecord.MaxRuaLength)}";

        Assert.Equal(["mailto:a@b.test"], TlsRptRecord.ReportAddresses([$"v=TLSRPTv1; rua={overlong},mailto:a@b.test"]).Select(u => u.OriginalString));
    }

    [Fact]
    public void ReportAddresses_AreDeduplicated_AndAtMostFive()
    {
        var ruas = string.Join(',', Enumerable.Range(1, 8).Select(i => $"mailto:r{i}@b.test").Prepend("mailto:r1@b.test"));

        Assert.Equal(
            ["mailto:r1@b.test", "mailto:r2@b.test", "mailto:r3@b.test", "mailto:r4@b.test", "mailto:r5@b.test"],
            TlsRptRecord.ReportAddresses([$"v=TLSRPTv1; rua={ruas}"]).Select(u => u.OriginalString));
    }

    [Fact]
    public void ReportAddresses_OfTwoRecords_IsNone() =>
        Assert.Empty(TlsRptRecord.ReportAddresses(["v=TLSRPTv1; rua=mailto:a@b.test", "v=TLSRPTv1; rua=mailto:c@b.test"]));

    [Fact]
    public void Build_WritesEveryField_WithSummaryAndFailureDetailsPerPolicy()
    {
        var sts = TlsRptPolicy.Of(new MtaStsPolicy { Domain = "partner.test", Mode = MtaStsMode.Enforce, MxPatterns = "mx.partner.test *.partner.test", FetchedAt = Day, ExpiresAt = Day.AddDays(1) });
        var header = new TlsReportHeader("Example Health", "postmaster@example.test", "2026-12-05_partner.test", Day, Day.AddDays(1).AddSeconds(-1));
        TlsSessionCount[] rows =
        [
            Row(TlsRptPolicy.None, FailureReason.StartTlsNotSupported, 3),
            Row(TlsRptPolicy.None, TlsRptResult.Success, 2),
            Row(TlsRptPolicy.None, FailureReason.StartTlsNotSupported, 1, receivingIp: "192.0.2.8"),
            Row(sts, FailureReason.CertificateExpired, 4),
        ];

        using var report = JsonDocument.Parse(TlsReportJson.Build(header, "partner.test", rows));

        var root = report.RootElement;
        Assert.Equal("Example Health", root.GetProperty("organization-name").GetString());
        Assert.Equal("2026-12-05T00:00:00Z", root.GetProperty("date-range").GetProperty("start-datetime").GetString());
        Assert.Equal("2026-12-05T23:59:59Z", root.GetProperty("date-range").GetProperty("end-datetime").GetString());
        Assert.Equal("postmaster@example.test", root.GetProperty("contact-info").GetString());
        Assert.Equal("2026-12-05_partner.test", root.GetProperty("report-id").GetString());
        var policies = root.GetProperty("policies").EnumerateArray().ToDictionary(p => p.GetProperty("policy").GetProperty("policy-type").GetString()!);

        var none = policies["no-policy-found"];
        Assert.Equal("partner.test", none.GetProperty("policy").GetProperty("policy-domain").GetString());
        Assert.Equal(0, none.GetProperty("policy").GetProperty("policy-string").GetArrayLength());
        Assert.Equal(2, none.GetProperty("summary").GetProperty("total-successful-session-count").GetInt64());
        Assert.Equal(4, none.GetProperty("summary").GetProperty("total-failure-session-count").GetInt64());
        var details = none.GetProperty("failure-details").EnumerateArray().ToList();
        Assert.Equal(2, details.Count);
        Assert.All(details, d =>
        {
            Assert.Equal("starttls-not-supported", d.GetProperty("result-type").GetString());
            Assert.Equal("198.51.100.1", d.GetProperty("sending-mta-ip").GetString());
            Assert.Equal("mx.partner.test", d.GetProperty("receiving-mx-hostname").GetString());
        });
        Assert.Equal([3L, 1L], details.Select(d => d.GetProperty("failed-session-count").GetInt64()));
        Assert.Equal(["127.0.0.1", "192.0.2.8"], details.Select(d => d.GetProperty("receiving-ip").GetString()));

        var stsEntry = policies["sts"].GetProperty("policy");
        Assert.Equal(["version: STSv1", "mode: enforce", "mx: mx.partner.test", "mx: *.partner.test", "max_age: 86400"], stsEntry.GetProperty("policy-string").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["mx.partner.test", "*.partner.test"], stsEntry.GetProperty("mx-host").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public void Build_LeavesOutTheAddresses_ThatAreNotKnown()
    {
        var header = new TlsReportHeader("Org", "a@example.test", "42", Day, Day.AddDays(1).AddSeconds(-1));
        var row = Row(TlsRptPolicy.None, FailureReason.StartTlsNotSupported, 1, receivingIp: "");
        row.SendingIp = "";

        using var report = JsonDocument.Parse(TlsReportJson.Build(header, "partner.test", [row]));

        var detail = Assert.Single(report.RootElement.GetProperty("policies")[0].GetProperty("failure-details").EnumerateArray());
        Assert.False(detail.TryGetProperty("sending-mta-ip", out _));
        Assert.False(detail.TryGetProperty("receiving-ip", out _));
        Assert.Equal("mx.partner.test", detail.GetProperty("receiving-mx-hostname").GetString());
    }

    [Fact]
    public void FileName_IsSubmitterDomainBeginEndAndId()
    {
        var header = new TlsReportHeader("Org", "a@example.test", "42", Day, Day.AddDays(1).AddSeconds(-1));

        Assert.Equal("example.test!partner.test!1796428800!1796515199!42.json.gz", TlsReportJson.FileName("example.test", "partner.test", header));
    }

    [Fact]
    public void Policy_RoundTripsThroughItsStoredForm_AndKeysByContent()
    {
        var tlsa = TlsRptPolicy.OfTlsa("mx.partner.test", ["3 1 1 abcd", "2 0 1 ef01"]);

        Assert.Equal(tlsa, TlsRptPolicy.Deserialize(tlsa.Serialize()));
        Assert.Equal(TlsRptPolicy.None, TlsRptPolicy.Deserialize(TlsRptPolicy.None.Serialize()));
        Assert.NotEqual(tlsa.Key, TlsRptPolicy.None.Key);
        Assert.Equal(64, tlsa.Key.Length);
    }

    private static readonly DateTimeOffset Day = new(2026, 12, 5, 0, 0, 0, TimeSpan.Zero);

    private static TlsSessionCount Row(TlsRptPolicy policy, string result, long count, string receivingIp = "127.0.0.1") => new()
    {
        Day = "2026-12-05",
        PolicyDomain = "partner.test",
        PolicyKey = policy.Key,
        Policy = policy.Serialize(),
        ResultType = result,
        SendingIp = "198.51.100.1",
        ReceivingMxHost = "mx.partner.test",
        ReceivingIp = receivingIp,
        SessionCount = count,
    };
}
