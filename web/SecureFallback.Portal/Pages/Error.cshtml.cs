using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace SecureFallback.Portal.Pages;

/// <summary>The page a recipient sees for any error status: what happened and what to do, never a stack trace.</summary>
[IgnoreAntiforgeryToken]
[ResponseCache(NoStore = true)]
public sealed class ErrorModel : PageModel
{
    public int Status { get; private set; }

    public string Heading { get; private set; } = "";

    public string Advice { get; private set; } = "";

    public void OnGet(int code) => Show(code);

    public void OnPost(int code) => Show(code);

    private void Show(int code)
    {
        Status = code;
        if (code is >= 400 and < 600)
        {
            Response.StatusCode = code; // also when reached by a redirect (access denied), not only by re-execution
        }

        var kind = code switch
        {
            404 or 403 or 400 or 429 => code.ToString(System.Globalization.CultureInfo.InvariantCulture),
            >= 500 => "500",
            _ => "Other",
        };
        (Heading, Advice) = (this.Text($"Error.{kind}.Heading"), this.Text($"Error.{kind}.Advice"));
    }
}
