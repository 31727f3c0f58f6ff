using SecureFallback.Core.Messages;

namespace SecureFallback.Core.Reporting;

/// <summary>
/// A domain's TLS reporting record, the TXT at <c>_smtp._tls.&lt;domain&gt;</c> (RFC 8460 3):
/// <c>v=TLSRPTv1; rua=mailto:reports@example.com,https://reports.example.com/tlsrpt</c>.
/// </summary>
public static class TlsRptRecord
{
    /// <summary>The longest rua kept: the stored length of <see cref="TlsReportSend.Rua"/>.</summary>
    public const int MaxRuaLength = 1024;

    /// <summary>
    /// The most ruas a domain's report goes to. RFC 8460 3 lets a sender deliver to just one; a few more cover an
    /// address that fails, while a record listing hundreds cannot make us send hundreds of reports.
    /// </summary>
    public const int MaxRuas = 5;

    /// <summary>
    /// The <c>mailto:</c> and <c>https:</c> addresses of the one valid record among <paramref name="txtRecords"/>
    /// (each TXT's strings already joined), without duplicates and at most <see cref="MaxRuas"/>; none when there is
    /// no valid record, or more than one (RFC 8460 3). Other URI schemes, mail addresses whose domain is not a valid
    /// host name, and URIs longer than <see cref="MaxRuaLength"/> are skipped.
    /// </summary>
    public static IReadOnlyList<Uri> ReportAddresses(IEnumerable<string> txtRecords)
    {
        var records = txtRecords.Where(IsVersion1).ToList();
        if (records is not [var record])
        {
            return [];
        }

        var fields = record.Split(';').Select(f => f.Trim()).Where(f => f.Length > 0).Select(f => f.Split('=', 2)).ToList();
        if (fields is not [["v", "TLSRPTv1"], ..] || fields.FirstOrDefault(f => f is ["rua", _]) is not [_, var rua])
        {
            return [];
        }

        var addresses = new List<Uri>();
        foreach (var part in rua.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (addresses.Count < MaxRuas && part.Length <= MaxRuaLength && Uri.TryCreate(part, UriKind.Absolute, out var uri)
                && (uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeMailto && IsMailbox(MailAddress(uri))))
                && !addresses.Any(a => a.OriginalString == uri.OriginalString))
            {
                addresses.Add(uri);
            }
        }

        return addresses;
    }

    /// <summary>The mail address of a <c>mailto:</c> URI (without any <c>?</c> query).</summary>
    public static string MailAddress(Uri mailto) => Uri.UnescapeDataString(mailto.AbsoluteUri["mailto:".Length..]).Split('?')[0];

    /// <summary><c>v=TLSRPTv1</c> followed by <c>;</c>, white space or the end: not <c>v=TLSRPTv10</c>.</summary>
    private static bool IsVersion1(string txt)
    {
        var text = txt.TrimStart();
        return text.StartsWith("v=TLSRPTv1", StringComparison.Ordinal) && (text.Length == "v=TLSRPTv1".Length || text["v=TLSRPTv1".Length] is ';' or ' ' or '\t');
    }

    private static bool IsMailbox(string address) => MailboxSyntax.TrySplit(address, out _, out var domain) && DomainName.IsValid(domain);
}
