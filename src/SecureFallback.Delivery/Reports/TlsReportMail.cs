using MimeKit;
using MimeKit.Utils;
using SecureFallback.Core.Reporting;

namespace SecureFallback.Delivery.Reports;

/// <summary>
/// The mail of a TLS report to a <c>mailto:</c> rua (RFC 8460 5.3): <c>multipart/report; report-type=tlsrpt</c> with a
/// short text and the gzip'd JSON as <c>application/tlsrpt+gzip</c>, headers <c>TLS-Report-Domain</c>,
/// <c>TLS-Report-Submitter</c> and <c>TLS-Required: No</c> (so relays deliver it where TLS fails, RFC 8689 5).
/// </summary>
internal static class TlsReportMail
{
    public static MimeMessage Compose(TlsReportOptions options, string from, string helo, string policyDomain, TlsReportHeader header, byte[] gzip, string to, DateTimeOffset sentAt)
    {
        var submitter = options.Submitter;
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(from));
        message.To.Add(MailboxAddress.Parse(to));
        message.Subject = $"Report Domain: {policyDomain} Submitter: {submitter} Report-ID: <{header.ReportId}@{submitter}>";
        message.Date = sentAt; // when it is sent, not the end of the day it covers
        message.MessageId = MimeUtils.GenerateMessageId(helo);
        message.Headers.Add("TLS-Report-Domain", policyDomain);
        message.Headers.Add("TLS-Report-Submitter", submitter);
        message.Headers.Add("TLS-Required", "No");

        var report = new MultipartReport("tlsrpt")
        {
            new TextPart("plain")
            {
                Text = $"This is an aggregate SMTP TLS report (RFC 8460) from {options.OrganizationName} for {policyDomain}, "
                    + $"{header.Start:yyyy-MM-dd HH:mm:ss} to {header.End:yyyy-MM-dd HH:mm:ss} UTC. Contact: {options.ContactInfo}\r\n",
            },
            new MimePart("application", "tlsrpt+gzip")
            {
                Content = new MimeContent(new MemoryStream(gzip)),
                ContentDisposition = new ContentDisposition(ContentDisposition.Attachment) { FileName = TlsReportJson.FileName(submitter, policyDomain, header) },
                ContentTransferEncoding = ContentEncoding.Base64,
            },
        };
        message.Body = report;
        return message;
    }
}
