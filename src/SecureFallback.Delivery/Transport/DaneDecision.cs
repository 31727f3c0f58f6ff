using SecureFallback.Core.Delivery;

namespace SecureFallback.Delivery.Transport;

/// <summary>What the resolver said about a host's TLSA records, before any decision.</summary>
internal enum TlsaAnswerKind
{
    /// <summary>No usable answer: SERVFAIL (what a validating resolver returns for bogus data), time-out, garbage.</summary>
    Failed,

    /// <summary>An answer without the AD bit: the TLSA records (or their absence) are not DNSSEC-authenticated.</summary>
    Insecure,

    /// <summary>An authenticated NXDOMAIN or NODATA: the host provably has no TLSA records.</summary>
    Denied,

    /// <summary>Authenticated TLSA records.</summary>
    Records,
}

/// <summary>The TLSA lookup of one host.</summary>
/// <param name="Kind">What came back.</param>
/// <param name="Records">The records of an authenticated answer, usable or not.</param>
/// <param name="Detail">Why a lookup failed, for the audit trail.</param>
internal sealed record TlsaAnswer(TlsaAnswerKind Kind, IReadOnlyList<TlsaAssociation> Records, string Detail = "")
{
    public static TlsaAnswer Failed(string detail) => new(TlsaAnswerKind.Failed, [], detail);

    public static TlsaAnswer Insecure { get; } = new(TlsaAnswerKind.Insecure, []);

    public static TlsaAnswer Denied { get; } = new(TlsaAnswerKind.Denied, []);

    public static TlsaAnswer Authenticated(IReadOnlyList<TlsaAssociation> records) =>
        records.Count == 0 ? Denied : new(TlsaAnswerKind.Records, records);
}

/// <summary>DANE for one host in one attempt: the records that judge its certificate, or why the host cannot be used.</summary>
/// <param name="Records">The usable, DNSSEC-validated TLSA records; none means no DANE for this host.</param>
/// <param name="Unusable">Set when the host must not be used in this attempt (the next MX is tried; retry later).</param>
internal sealed record DaneVerdict(IReadOnlyList<TlsaAssociation> Records, HostAttemptResult? Unusable = null)
{
    public static DaneVerdict NoDane { get; } = new([]);
}

/// <summary>
/// DANE fails closed (RFC 7672 2.2). TLSA records count only for a "secure" host, one whose MX answer (or static
/// route) and address answer were DNSSEC-authenticated; for any other host DANE does not apply and the TLSA lookup is
/// not needed. For a secure host: authenticated records decide (only DANE-TA(2) and DANE-EE(3), selector 0/1,
/// matching 0/1/2 are usable; none usable means no DANE); an authenticated NXDOMAIN/NODATA, or an answer the resolver
/// proved insecure (an unsigned TLSA zone, no AD bit), means no DANE; a failed lookup (SERVFAIL, time-out, an
/// unparsable answer) makes the host unusable for this attempt with <see cref="FailureReason.DnssecInvalid"/> —
/// a transient result, so the next MX is tried and the message is retried later, never sent on a weaker check.
/// </summary>
internal static class DaneDecision
{
    /// <summary>Whether a host's TLSA records need to be looked up at all.</summary>
    /// <param name="hostSecure">The MX (or route) and the host's address answers were DNSSEC-authenticated.</param>
    public static bool NeedsLookup(bool hostSecure) => hostSecure;

    /// <param name="host">The next hop's name, for the diagnostic.</param>
    /// <param name="hostSecure">The MX (or route) and the host's address answers were DNSSEC-authenticated.</param>
    /// <param name="answer">The TLSA lookup (ignored when the host is not secure).</param>
    public static DaneVerdict Decide(string host, bool hostSecure, TlsaAnswer answer)
    {
        if (!hostSecure)
        {
            return DaneVerdict.NoDane;
        }

        return answer.Kind switch
        {
            TlsaAnswerKind.Records => new DaneVerdict([.. answer.Records.Where(IsUsable)]),
            TlsaAnswerKind.Failed => new DaneVerdict([], HostAttemptResult.Transient(
                FailureReason.DnssecInvalid,
                $"TLSA lookup of {host} failed ({answer.Detail}); the host is not used until it answers",
                "4.7.5")),
            _ => DaneVerdict.NoDane,
        };
    }

    private static bool IsUsable(TlsaAssociation record) =>
        record.Usage is 2 or 3 && record.Selector is 0 or 1 && record.MatchingType is 0 or 1 or 2;
}
