using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace SecureFallback.Portal.Pages;

/// <summary>
/// The two steps every "we mail you a code" page shares: ask for the address and request the code (answering the
/// same whether or not anything was sent), then take the code together with a new password.
/// </summary>
public abstract class CodeByMailPage : PageModel
{
    /// <summary>
    /// One answer for a wrong, expired, spent or dead code and for an address without an account, so the reply never
    /// tells whether the address has one.
    /// </summary>
    protected string WrongCode => this.Text("Code.Wrong", (int)PortalAccounts.CodeLifetime.TotalMinutes, PortalAccounts.MaxWrongCodeTries);

    public string? Email { get; protected set; }

    public bool CodeRequested { get; protected set; }

    public List<string> Errors { get; } = [];

    public void OnGet()
    {
    }

    /// <summary>Step one: checks the address and runs <paramref name="request"/>, which mails a code or, silently, not.</summary>
    protected async Task<IActionResult> RequestCodeAsync(string? email, Func<string, CancellationToken, Task> request, CancellationToken cancellationToken)
    {
        Email = email?.Trim();
        if (string.IsNullOrEmpty(Email) || !Email.Contains('@', StringComparison.Ordinal))
        {
            Errors.Add(this.Text("Form.EnterEmail"));
            return Page();
        }

        await request(Email, cancellationToken);
        CodeRequested = true;
        return Page();
    }

    /// <summary>Step two starts here: false (with the error shown) when the two passwords differ.</summary>
    protected bool PasswordsMatch(string? email, string? password, string? confirm)
    {
        (Email, CodeRequested) = (email?.Trim(), true);
        if (password == confirm)
        {
            return true;
        }

        Errors.Add(this.Text("Password.Differ"));
        return false;
    }
}
