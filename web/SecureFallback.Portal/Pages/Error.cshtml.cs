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

        (Heading, Advice) = code switch
        {
            404 => ("This page does not exist", "The message may have expired or been removed, or the address is mistyped. Your messages are listed on the messages page."),
            403 => ("You do not have access to this page", "This page is for administrators. Recipients find their messages on the messages page."),
            400 => ("The form could not be accepted", "The page may have been open for too long. Go back, reload the page and try again."),
            429 => ("Too many attempts", "Please wait a minute before trying again."),
            >= 500 => ("Something went wrong on our side", "Nothing you did caused this. Please try again later; the problem has been logged."),
            _ => ("The request could not be served", "Go back and try again."),
        };
    }
}
