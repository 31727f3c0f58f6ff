using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;
using SecureFallback.Core.Branding;

namespace SecureFallback.Portal.Pages;

/// <summary>
/// The portal's front door, the address the pickup notice tells recipients to type: the reference-code form right
/// here, and the ways in for everyone else (sign in, confirmation code by mail, password reset).
/// </summary>
public sealed class IndexModel(IOptions<BrandingOptions> branding, IStringLocalizer<PortalText> text) : PageModel
{
    public string Organization => PortalBranding.OrganizationName(branding.Value, text);

    public void OnGet()
    {
    }
}
