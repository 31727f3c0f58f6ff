using Microsoft.Playwright;

namespace SecureFallback.Browser.Tests;

/// <summary>A page of the portal or the admin console, as a tour shows it: who opens it, and how to get there.</summary>
/// <param name="Name">The page's name in test output and its screenshot's file name.</param>
/// <param name="Session">Who opens it.</param>
/// <param name="ForRecipients">Whether a recipient (or a sender following a link) sees it; screenshots are of these.</param>
/// <param name="OpenAsync">Gets a page of the tour's server there, by the way a user would.</param>
public sealed record TourPage(string Name, TourSession Session, bool ForRecipients, Func<IPage, PortalTour, Task> OpenAsync)
{
    public override string ToString() => Name;
}

/// <summary>Every page of the portal and the admin console (web/SecureFallback.Admin/Pages/Admin), in every state worth showing.</summary>
public static class TourPages
{
    public static readonly IReadOnlyList<TourPage> All =
    [
        Get("front", TourSession.Anonymous, "/"),
        Get("reference-code", TourSession.Anonymous, "/code"),
        new("reference-code-password", TourSession.Anonymous, true, async (page, tour) =>
        {
            await page.GotoAsync(tour.Address("/code").ToString());
            await page.GetByLabel("E-mail address").FillAsync(tour.UnusedAddress);
            await page.GetByLabel("Reference code").FillAsync(tour.UnusedReferenceCode);
            await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Continue" }).ClickAsync();
            await page.GetByLabel("Repeat password").WaitForAsync();
        }),
        Get("pickup-link", TourSession.Anonymous, "", tour => tour.UnusedPickupPath),
        Get("pickup-link-existing-account", TourSession.Anonymous, "", tour => tour.ExistingAccountPickupPath),
        Get("expired-link", TourSession.Anonymous, "/pickup/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
        Get("register", TourSession.Anonymous, "/register"),
        MailMeACode("register-code", "/register", "erin@plain.test"),
        Get("sign-in", TourSession.Anonymous, "/login"),
        Get("sign-in-passkey", TourSession.Anonymous, "/login/passkey"),
        new("sign-in-two-step", TourSession.Anonymous, false, async (page, tour) =>
        {
            await page.GotoAsync(tour.Address("/login").ToString());
            await page.GetByLabel("E-mail address").FillAsync("admin@ops.test");
            await page.GetByLabel("Portal password").FillAsync(PortalTour.AdminPassword);
            await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Sign in" }).ClickAsync();
            await page.WaitForAddressAsync("**/login/two-factor**");
            await page.GetByLabel("Authenticator or recovery code").WaitForAsync();
        }),
        Get("password-reset", TourSession.Anonymous, "/forgot-password"),
        MailMeACode("password-reset-code", "/forgot-password", "carol@plain.test"),
        Get("inbox", TourSession.Recipient, "/inbox"),
        Get("message", TourSession.Recipient, "", tour => tour.HeldMessagePath),
        Get("message-pin", TourSession.Recipient, "", tour => tour.PinMessagePath),
        Get("revoked", TourSession.Recipient, "", tour => tour.RevokedMessagePath),
        new("reply-too-large", TourSession.Recipient, true, async (page, tour) =>
        {
            await page.GotoAsync(tour.Address(tour.HeldMessagePath).ToString());
            await page.GetByLabel("Attachments").SetInputFilesAsync(new FilePayload { Name = "big.bin", MimeType = "application/octet-stream", Buffer = new byte[300 * 1024] });
            await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Send the reply" }).ClickAsync();
            await page.GetByRole(AriaRole.Heading, new PageGetByRoleOptions { Name = "Your reply is too large" }).WaitForAsync();
        }),
        Get("two-step-setup", TourSession.Recipient, "/account/security"),
        Get("passkeys", TourSession.Recipient, "/account/passkeys"),
        Get("sender-revoke", TourSession.Anonymous, "", tour => tour.HeldRevokeLinkPath),
        Get("sender-new-pin", TourSession.Anonymous, "", tour => tour.NewPinLinkPath),
        Get("not-found", TourSession.Anonymous, "/no-such-page"),
        Get("too-many-attempts", TourSession.Anonymous, "/error/429"),
        Get("error", TourSession.Anonymous, "/error/500"),
        Get("status", TourSession.Anonymous, "/status", forRecipients: false),
        Get("two-step-admin", TourSession.Admin, "/account/security", forRecipients: false),
        Get("admin-dashboard", TourSession.Admin, "/admin", forRecipients: false),
        Get("admin-queue", TourSession.Admin, "/admin/queue", forRecipients: false),
        Get("admin-message", TourSession.Admin, "", tour => tour.AdminMessagePath, forRecipients: false),
        Get("admin-policies", TourSession.Admin, "/admin/policies", forRecipients: false),
        Get("admin-shadow", TourSession.Admin, "/admin/shadow", forRecipients: false),
        Get("admin-tls-reports", TourSession.Admin, "/admin/tls-reports", forRecipients: false),
        Get("admin-forbidden", TourSession.Recipient, "/admin/queue", forRecipients: false),
    ];

    public static IEnumerable<object[]> Names => All.Select(p => new object[] { p.Name });

    public static IEnumerable<object[]> RecipientNames => All.Where(p => p.ForRecipients).Select(p => new object[] { p.Name });

    public static TourPage Named(string name) => All.Single(p => p.Name == name);

    private static TourPage Get(string name, TourSession session, string path, Func<PortalTour, string>? pathOf = null, bool forRecipients = true) =>
        new(name, session, forRecipients, async (page, tour) =>
        {
            await page.GotoAsync(tour.Address(pathOf?.Invoke(tour) ?? path).ToString());
            await page.Locator("h1").First.WaitForAsync();
        });

    /// <summary>The second step of a page that mails a code: the code and password form.</summary>
    private static TourPage MailMeACode(string name, string path, string address) =>
        new(name, TourSession.Anonymous, true, async (page, tour) =>
        {
            await page.GotoAsync(tour.Address(path).ToString());
            await page.GetByLabel("E-mail address").FillAsync(address);
            await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Mail me a code" }).ClickAsync();
            await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Mail me a new code" }).WaitForAsync();
        });
}
