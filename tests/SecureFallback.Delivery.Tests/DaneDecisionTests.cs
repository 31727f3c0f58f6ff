using SecureFallback.Core.Delivery;
using SecureFallback.Delivery.Transport;

namespace SecureFallback.Delivery.Tests;

public sealed class DaneDecisionTests
{
    private static readonly TlsaAssociation DaneEe = new(3, 1, 1, new byte[32]);
    private static readonly TlsaAssociation PkixEe = new(1, 1, 1, new byte[32]);

    [Fact]
    public void FailedLookup_OfASecureHost_MakesTheHostUnusable_AsATransientDnssecInvalid()
    {
        var verdict = DaneDecision.Decide("mx.example.test", hostSecure: true, TlsaAnswer.Failed("SERVFAIL"));

        Assert.Empty(verdict.Records);
        Assert.Equal((DeliveryOutcome.Transient, FailureReason.DnssecInvalid, "4.7.5"), (verdict.Unusable!.Outcome, verdict.Unusable.Reason, verdict.Unusable.StatusCode));
        Assert.Contains("mx.example.test", verdict.Unusable.Diagnostic, StringComparison.Ordinal);
    }

    [Fact]
    public void AuthenticatedRecords_OfASecureHost_AreUsed_OnlyTheUsableOnes()
    {
        var verdict = DaneDecision.Decide("mx.example.test", hostSecure: true, TlsaAnswer.Authenticated([DaneEe, PkixEe]));

        Assert.Null(verdict.Unusable);
        Assert.Equal([DaneEe], verdict.Records);
    }

    [Theory]
    [InlineData("denied")] // authenticated NXDOMAIN/NODATA
    [InlineData("insecure")] // the resolver proved the TLSA answer unsigned
    [InlineData("unusable")] // only PKIX usages, which do not count for SMTP
    public void SecureHost_WithoutUsableAuthenticatedRecords_HasNoDane(string kind)
    {
        var answer = kind switch
        {
            "denied" => TlsaAnswer.Authenticated([]),
            "insecure" => TlsaAnswer.Insecure,
            _ => TlsaAnswer.Authenticated([PkixEe]),
        };

        var verdict = DaneDecision.Decide("mx.example.test", hostSecure: true, answer);

        Assert.Null(verdict.Unusable);
        Assert.Empty(verdict.Records);
    }

    [Fact]
    public void InsecureHost_IgnoresEvenAuthenticatedRecords_AndAFailedLookup()
    {
        Assert.False(DaneDecision.NeedsLookup(hostSecure: false));
        Assert.Same(DaneVerdict.NoDane, DaneDecision.Decide("mx.example.test", hostSecure: false, TlsaAnswer.Authenticated([DaneEe])));
        Assert.Same(DaneVerdict.NoDane, DaneDecision.Decide("mx.example.test", hostSecure: false, TlsaAnswer.Failed("SERVFAIL")));
    }
}
