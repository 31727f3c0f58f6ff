using Microsoft.Extensions.Options;
using MimeKit;
using SecureFallback.Core.Branding;

namespace SecureFallback.Delivery.Reports;

/// <summary>Settings under <c>SecureFallback:TlsReports</c>: SMTP TLS Reporting (RFC 8460) as a sending MTA.</summary>
public sealed class TlsReportOptions
{
    public const string SectionName = "SecureFallback:TlsReports";

    /// <summary>Record TLS session results and send daily reports to domains that ask for them. Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// The report's <c>organization-name</c>. Default <c>Branding:OrganizationName</c>; when that is unnamed, the
    /// domain of <c>Notices:From</c>.
    /// </summary>
    public string OrganizationName { get; set; } = "";

    /// <summary>
    /// The report's <c>contact-info</c>: a mail address or an http(s) URL, required by RFC 8460. Default
    /// <c>Notices:From</c> (itself <c>postmaster@&lt;HeloName&gt;</c> by default). Its domain is the report's
    /// <c>TLS-Report-Submitter</c>.
    /// </summary>
    public string ContactInfo { get; set; } = "";

    /// <summary>
    /// POST reports to <c>https:</c> ruas whose host resolves to a loopback, private, link-local or other address
    /// that is not globally routable. Default false: a domain's DNS must not make us POST into our own network. For
    /// tests and labs only.
    /// </summary>
    public bool AllowPrivateEndpoints { get; set; }

    /// <summary>Reports of the previous UTC day go out at a random time within this many hours after 00:00 UTC. Default 4.</summary>
    public int SpreadHours { get; set; } = 4;

    /// <summary>The submitter domain: the domain of <see cref="ContactInfo"/> (a mail address's, or a URL's host).</summary>
    public string Submitter =>
        Uri.TryCreate(ContactInfo, UriKind.Absolute, out var url) && url.Scheme is "http" or "https" ? url.IdnHost
        : MailboxAddress.TryParse(ContactInfo, out var mailbox) ? mailbox.Domain : "";

    /// <summary>Fills the defaults from the branding and notice settings.</summary>
    internal static void ApplyDefaults(TlsReportOptions reports, IOptions<NoticeOptions> notices, IOptions<BrandingOptions> branding)
    {
        var from = notices.Value.From;
        if (string.IsNullOrWhiteSpace(reports.ContactInfo))
        {
            reports.ContactInfo = from;
        }

        if (string.IsNullOrWhiteSpace(reports.OrganizationName))
        {
            var name = branding.Value.OrganizationName;
            reports.OrganizationName = !string.IsNullOrWhiteSpace(name) && !branding.Value.OrganizationNameIsDefault && name != BrandingOptions.UnnamedOrganization
                ? name.Trim()
                : MailboxAddress.TryParse(from, out var mailbox) ? mailbox.Domain : "";
        }
    }
}

/// <summary>Stops the start when TLS reporting is on without a usable contact, or its spread is out of range.</summary>
internal sealed class TlsReportOptionsValidator : IValidateOptions<TlsReportOptions>
{
    public ValidateOptionsResult Validate(string? name, TlsReportOptions options)
    {
        if (!options.Enabled)
        {
            return ValidateOptionsResult.Success;
        }

        var errors = new List<string>();
        if (options.Submitter.Length == 0 || !(options.ContactInfo.Contains('@', StringComparison.Ordinal) || options.ContactInfo.StartsWith("http", StringComparison.OrdinalIgnoreCase)))
        {
            errors.Add($"SecureFallback:TlsReports:ContactInfo '{options.ContactInfo}' is neither a mail address nor an http(s) URL: TLS reports must name a contact (RFC 8460 4.3). Set it (or Notices:From), or set TlsReports:Enabled=false.");
        }

        if (string.IsNullOrWhiteSpace(options.OrganizationName))
        {
            errors.Add("SecureFallback:TlsReports:OrganizationName is empty: set it, or Branding:OrganizationName.");
        }

        if (options.SpreadHours is < 0 or > 23)
        {
            errors.Add($"SecureFallback:TlsReports:SpreadHours must be 0-23 (hours after 00:00 UTC), not {options.SpreadHours}.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
