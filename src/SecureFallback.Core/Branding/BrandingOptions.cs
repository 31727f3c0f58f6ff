namespace SecureFallback.Core.Branding;

/// <summary>
/// Settings under <c>SecureFallback:Branding</c>: how the sending organisation appears to recipients who do not know
/// this product — in every notice and on every portal page.
/// </summary>
public sealed class BrandingOptions
{
    public const string SectionName = "SecureFallback:Branding";

    /// <summary>Where the portal serves <see cref="LogoPath"/>, from its own origin; the mail we write shows it from there.</summary>
    public const string LogoUrlPath = "/branding/logo";

    /// <summary>What recipients read when no name is configured (development only; a start without a name warns).</summary>
    public const string UnnamedOrganization = "this organisation";

    /// <summary>
    /// The organisation's name as its correspondents know it ("Example Health Ltd"). Required in production; when
    /// empty the older <c>Portal:OrganizationName</c> is used, else <see cref="UnnamedOrganization"/>.
    /// </summary>
    public string OrganizationName { get; set; } = "";

    /// <summary>A PNG or SVG logo file, served by the portal from its own origin (an SVG is sanitised). Optional.</summary>
    public string? LogoPath { get; set; }

    /// <summary>
    /// Also show the logo in the HTML part of the mail we write, from the portal's address. Default false: SpamAssassin
    /// scores an image beside a notice's short text with HTML_IMAGE_ONLY_* (2.8 points for a two-language notice).
    /// </summary>
    public bool LogoInMail { get; set; }

    /// <summary>The accent colour of notices and portal pages, <c>#rgb</c> or <c>#rrggbb</c>. Default <c>#1f4e79</c>.</summary>
    public string AccentColor { get; set; } = "#1f4e79";

    /// <summary>One line telling recipients whom to ask ("Questions? Call +41 44 000 00 00"). Optional.</summary>
    public string? SupportContact { get; set; }

    /// <summary>True when neither this section nor <c>Portal:OrganizationName</c> named the organisation.</summary>
    public bool OrganizationNameIsDefault { get; set; }
}
