using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using SecureFallback.Core;
using SecureFallback.Core.Branding;

namespace SecureFallback.Server;

/// <summary>Fills <see cref="BrandingOptions"/> from the older portal setting, and checks the result.</summary>
internal static partial class BrandingOptionsSetup
{
    public static void ApplyDefaults(BrandingOptions branding, IConfiguration configuration)
    {
        if (!string.IsNullOrWhiteSpace(branding.OrganizationName))
        {
            branding.OrganizationName = branding.OrganizationName.Trim();
            return;
        }

        var older = configuration[PortalOptions.SectionName + ":" + nameof(PortalOptions.OrganizationName)];
        branding.OrganizationNameIsDefault = string.IsNullOrWhiteSpace(older);
        branding.OrganizationName = branding.OrganizationNameIsDefault ? BrandingOptions.UnnamedOrganization : older!.Trim();
    }

    // \z, not $: $ also matches before a final line break, which would let "#fa0\n" into the stylesheet.
    [GeneratedRegex(@"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})\z")]
    internal static partial Regex HexColor();
}

internal sealed class BrandingOptionsValidator : IValidateOptions<BrandingOptions>
{
    private const int MaxLineLength = 200;

    public ValidateOptionsResult Validate(string? name, BrandingOptions options)
    {
        if (options.OrganizationName.Length > MaxLineLength || options.OrganizationName.Any(char.IsControl))
        {
            return ValidateOptionsResult.Fail($"SecureFallback:Branding:OrganizationName must be one line of at most {MaxLineLength} characters.");
        }

        if (options.SupportContact is { } support && (support.Length > MaxLineLength || support.Any(char.IsControl)))
        {
            return ValidateOptionsResult.Fail($"SecureFallback:Branding:SupportContact must be one line of at most {MaxLineLength} characters.");
        }

        if (!BrandingOptionsSetup.HexColor().IsMatch(options.AccentColor))
        {
            return ValidateOptionsResult.Fail($"SecureFallback:Branding:AccentColor '{options.AccentColor}' must be a colour such as #1f4e79 or #fa0.");
        }

        if (!string.IsNullOrWhiteSpace(options.LogoPath))
        {
            var extension = Path.GetExtension(options.LogoPath).ToLowerInvariant();
            if (extension is not (".png" or ".svg"))
            {
                return ValidateOptionsResult.Fail($"SecureFallback:Branding:LogoPath '{options.LogoPath}' must be a .png or .svg file.");
            }

            if (!File.Exists(options.LogoPath))
            {
                return ValidateOptionsResult.Fail($"SecureFallback:Branding:LogoPath '{options.LogoPath}' does not exist.");
            }

            try
            {
                Portal.PortalLogo.Load(options.LogoPath);
            }
            catch (InvalidDataException e)
            {
                return ValidateOptionsResult.Fail($"SecureFallback:Branding:LogoPath '{options.LogoPath}' is not a usable {extension.TrimStart('.').ToUpperInvariant()} logo: {e.Message}.");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return ValidateOptionsResult.Fail($"SecureFallback:Branding:LogoPath '{options.LogoPath}' cannot be read: {e.Message}");
            }
        }

        return ValidateOptionsResult.Success;
    }
}
