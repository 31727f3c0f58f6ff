namespace SecureFallback.Core.Reporting;

/// <summary>
/// A domain's TLS reporting record, the TXT at <c>_smtp._tls.&lt;domain&gt;</c> (RFC 8460 3):
/// <c>v=TLSRPTv1; rua=mailto:reports@example.com,https://reports.example.com/tlsrpt</c>.
/// </summary>
public static class TlsRptRecord
{
    /// <summary>
    /// The <c>mailto:</c> and <c>https:</c> addresses of the one valid record among <paramref name="txtRecords"/>
    /// (each TXT's strings already joined); none when there is no valid record, or more than one (RFC 8460 3).
    /// Other URI schemes are skipped, as RFC 8460 3 allows.
    /// </summary>
    public static IReadOnlyList<Uri> ReportAddresses(IEnumerable<string> txtRecords)
    {
        var records = txtRecords.Where(t => t.TrimStart().StartsWith("v=TLSRPTv1", StringComparison.Ordinal)).ToList();
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
            if (Uri.TryCreate(part, UriKind.Absolute, out var uri)
                && (uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeMailto && Messages.MailboxSyntax.TrySplit(MailAddress(uri), out _, out _))))
            {
                addresses.Add(uri);
            }
        }

        return addresses;
    }

    /// <summary>The mail address of a <c>mailto:</c> URI (without any <c>?</c> query).</summary>
    public static string MailAddress(Uri mailto) => Uri.UnescapeDataString(mailto.AbsoluteUri["mailto:".Length..]).Split('?')[0];
}
