using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;

namespace SecureFallback.Core.Reporting;

/// <summary>Who sends a TLS report and for what time: the report's header fields (RFC 8460 4.3).</summary>
/// <param name="OrganizationName"><c>organization-name</c>.</param>
/// <param name="ContactInfo"><c>contact-info</c>: a mail address or URL, never empty.</param>
/// <param name="ReportId"><c>report-id</c>.</param>
/// <param name="Start"><c>start-datetime</c> (UTC).</param>
/// <param name="End"><c>end-datetime</c> (UTC).</param>
public sealed record TlsReportHeader(string OrganizationName, string ContactInfo, string ReportId, DateTimeOffset Start, DateTimeOffset End);

/// <summary>
/// Writes one policy domain's aggregate report as RFC 8460 section 4 JSON, every field present: a policy entry per
/// policy seen, its summary, and its failure details (known parsers choke on a missing <c>policy-domain</c> or
/// <c>sending-mta-ip</c>, or on a null <c>contact-info</c>, so none is ever null). The one exception is an address
/// that was not known (<c>sending-mta-ip</c>, <c>receiving-ip</c>): it is left out rather than written as an empty
/// string, which is no IP address at all.
/// </summary>
public static class TlsReportJson
{
    /// <summary>The report of <paramref name="policyDomain"/> from its day's <paramref name="counts"/>.</summary>
    /// <param name="header">Who, when, which id.</param>
    /// <param name="policyDomain">The recipient domain.</param>
    /// <param name="counts">The domain's rows for the period.</param>
    public static string Build(TlsReportHeader header, string policyDomain, IEnumerable<TlsSessionCount> counts)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("organization-name", header.OrganizationName);
            json.WriteStartObject("date-range");
            json.WriteString("start-datetime", Timestamp(header.Start));
            json.WriteString("end-datetime", Timestamp(header.End));
            json.WriteEndObject();
            json.WriteString("contact-info", header.ContactInfo);
            json.WriteString("report-id", header.ReportId);
            json.WriteStartArray("policies");
            foreach (var policy in counts.GroupBy(c => c.PolicyKey).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                WritePolicy(json, policyDomain, TlsRptPolicy.Deserialize(policy.First().Policy), [.. policy]);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>The attachment's name: <c>submitter!policy-domain!begin!end!id.json.gz</c> (RFC 8460 5.1, UNIX times).</summary>
    public static string FileName(string submitter, string policyDomain, TlsReportHeader header) =>
        string.Create(CultureInfo.InvariantCulture, $"{submitter}!{policyDomain}!{header.Start.ToUnixTimeSeconds()}!{header.End.ToUnixTimeSeconds()}!{header.ReportId}.json.gz");

    private static void WritePolicy(Utf8JsonWriter json, string policyDomain, TlsRptPolicy policy, List<TlsSessionCount> rows)
    {
        json.WriteStartObject();
        json.WriteStartObject("policy");
        json.WriteString("policy-type", policy.Type);
        WriteStrings(json, "policy-string", policy.Strings);
        json.WriteString("policy-domain", policyDomain);
        WriteStrings(json, "mx-host", policy.MxHosts);
        json.WriteEndObject();

        var failures = rows.Where(r => r.ResultType != TlsRptResult.Success).ToList();
        json.WriteStartObject("summary");
        json.WriteNumber("total-successful-session-count", rows.Where(r => r.ResultType == TlsRptResult.Success).Sum(r => r.SessionCount));
        json.WriteNumber("total-failure-session-count", failures.Sum(r => r.SessionCount));
        json.WriteEndObject();

        json.WriteStartArray("failure-details");
        var details = failures.GroupBy(r => (r.ResultType, r.SendingIp, r.ReceivingMxHost, r.ReceivingIp, r.ReceivingMxHelo))
            .OrderBy(g => g.Key.ResultType, StringComparer.Ordinal).ThenBy(g => g.Key.ReceivingMxHost, StringComparer.Ordinal).ThenBy(g => g.Key.ReceivingIp, StringComparer.Ordinal);
        foreach (var detail in details)
        {
            json.WriteStartObject();
            json.WriteString("result-type", detail.Key.ResultType);
            WriteIfKnown(json, "sending-mta-ip", detail.Key.SendingIp);
            json.WriteString("receiving-mx-hostname", detail.Key.ReceivingMxHost);
            if (detail.Key.ReceivingMxHelo.Length > 0)
            {
                json.WriteString("receiving-mx-helo", detail.Key.ReceivingMxHelo);
            }

            WriteIfKnown(json, "receiving-ip", detail.Key.ReceivingIp);
            json.WriteNumber("failed-session-count", detail.Sum(r => r.SessionCount));
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>The report gzip'd, as it is sent (RFC 8460 5).</summary>
    public static byte[] Gzip(string json)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal))
        {
            gzip.Write(Encoding.UTF8.GetBytes(json));
        }

        return buffer.ToArray();
    }

    private static void WriteIfKnown(Utf8JsonWriter json, string name, string value)
    {
        if (value.Length > 0)
        {
            json.WriteString(name, value);
        }
    }

    private static void WriteStrings(Utf8JsonWriter json, string name, IReadOnlyList<string> values)
    {
        json.WriteStartArray(name);
        foreach (var value in values)
        {
            json.WriteStringValue(value);
        }

        json.WriteEndArray();
    }

    private static string Timestamp(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
