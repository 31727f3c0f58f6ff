using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;
using SecureFallback.Core.Branding;

namespace SecureFallback.Portal.Pages;

/// <summary>
/// The portal's front door, the address the pickup notice tells recipients to type: the reference-code form right
/// here, and the ways in for everyone else (sign in, confirmation code by mail, password reset).
/// </summary>
public sealed class IndexModel(IOptions<BrandingOptions> branding) : PageModel
{
    public string Organization => branding.Value.OrganizationName;

    public void OnGet()
    {
    }
}
