using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using SecureFallback.Data;

namespace SecureFallback.Portal.Pages;

public sealed class LogoutModel(SignInManager<PortalUser> signIn) : PageModel
{
    public IActionResult OnGet() => Redirect("/login");

    public async Task<IActionResult> OnPostAsync()
    {
        await signIn.SignOutAsync();
        return Redirect("/login");
    }
}
