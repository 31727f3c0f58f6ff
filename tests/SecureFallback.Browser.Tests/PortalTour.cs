using System.Text.RegularExpressions;
using Microsoft.Playwright;
using MimeKit;
using SecureFallback.TestKit;

namespace SecureFallback.Browser.Tests;

/// <summary>Who a tour page is opened as: nobody signed in, the recipient carol, or an admin past two-step sign-in.</summary>
public enum TourSession
{
    Anonymous,
    Recipient,
    Admin,
}

/// <summary>
/// One server with every kind of page to show (<see cref="TourPages"/>): a held HTML message with attachments, a
/// reply thread, a revoked message, an unused pickup link, the admin console. Started on first use by the
/// accessibility and phone tests of the Chromium collection, and shared by them; sessions are kept as Playwright
/// storage states, so a page opens in a context of any size already signed in.
/// </summary>
public sealed partial class PortalTour : IAsyncLifetime
{
    public const string AdminPassword = "an admin console password";

    /// <summary>A long, realistic name: the header must wrap it on a phone.</summary>
    public const string OrganizationName = "Example Health Cooperative of Northern Switzerland";

    public const string SupportContact = "Questions about a message? Call +41 44 000 00 00 or write to help@example-health.test";

    /// <summary>A word of 300 characters with no break opportunity, as some mail carries (a token, a URL).</summary>
    public static readonly string LongWord = string.Concat(Enumerable.Repeat("Unbroken", 38))[..300];

    private readonly Lock _gate = new();
    private Task? _start;
    private ScriptedSmtpReceiver? _plain;
    private TlsSmtpReceiver? _senderServer;
    private SecureFallbackInstance? _server;
    private string? _logo;

    public SecureFallbackInstance Server => _server ?? throw new InvalidOperationException("the tour has not started");

    public string HeldMessagePath { get; private set; } = "";

    public string RevokedMessagePath { get; private set; } = "";

    public string AdminMessagePath { get; private set; } = "";

    public string UnusedPickupPath { get; private set; } = "";

    public string UnusedAddress => "dave@plain.test";

    public string UnusedReferenceCode { get; private set; } = "";

    public string HeldRevokeLinkPath { get; private set; } = "";

    public string NewPinLinkPath { get; private set; } = "";

    public string PinMessagePath { get; private set; } = "";

    public string ExistingAccountPickupPath { get; private set; } = "";

    private readonly Dictionary<TourSession, string?> _states = [];

    public Uri Address(string path) => new(Server.WebAddress, path.TrimStart('/'));

    /// <summary>A fresh context signed in as <paramref name="session"/>, with the size and device of <paramref name="options"/>.</summary>
    public async Task<IBrowserContext> NewContextAsync(ChromiumFixture chromium, TourSession session, BrowserNewContextOptions? options = null)
    {
        await EnsureStartedAsync(chromium);
        options ??= new BrowserNewContextOptions();
        options.StorageState = _states[session];
        return await chromium.NewContextAsync(options);
    }

    /// <summary>Starts the tour once; a start that failed fails every page with its own exception.</summary>
    public Task EnsureStartedAsync(ChromiumFixture chromium)
    {
        lock (_gate)
        {
            return _start ??= StartAsync(chromium);
        }
    }

    private async Task StartAsync(ChromiumFixture chromium)
    {
        _plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        _senderServer = await TlsSmtpReceiver.StartAsync("mx.sender.test");
        var logo = _logo = TourLogo.Write(0x1b, 0x5e, 0x20);
        _server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Delivery:Routes:plain.test"] = _plain.Route,
            ["SecureFallback:Delivery:Routes:sender.test"] = _senderServer.Route,
            ["SecureFallback:Notices:From"] = "secure-reply@portal.test",
            ["SecureFallback:Branding:OrganizationName"] = OrganizationName,
            ["SecureFallback:Branding:LogoPath"] = logo,
            ["SecureFallback:Branding:AccentColor"] = "#1b5e20", // not the default; white text on it
            ["SecureFallback:Branding:SupportContact"] = SupportContact,
            ["SecureFallback:Portal:CredentialRequestsPerMinute"] = "1000", // every page is opened at two sizes
            ["SecureFallback:Portal:ReplyMaxBytes"] = "8192", // so that a 300 KB upload meets the 413 page
            ["SecureFallback:Rules:0:SubjectContains"] = "[pin]",
            ["SecureFallback:Rules:0:Action"] = "pickup-with-pin",
        });
        await _server.SendAsync(HeldMessage());
        await _server.SendAsync("alice@sender.test", ["carol@plain.test"], "Contract draft", "The contract draft, version 3.");
        await _server.SendAsync("alice@sender.test", [UnusedAddress], "For Dave", "A message nobody picked up yet.");
        await _server.SendAsync("alice@sender.test", ["carol@plain.test"], "[pin] Payslip", "Opens with the sender's PIN.");
        var notices = (await _plain.WaitForMessagesAsync(4)).Select(n => n.Parse()).ToList();
        var dsns = await _senderServer.WaitForMessagesAsync(4);
        MimeMessage NoticeFor(string address) => notices.First(n => n.To.Mailboxes.Single().Address == address);
        string RevokeLinkFor(string subject) // the DSN's headers part names the subject; its first part has the link
        {
            var dsn = dsns.Single(d => d.Text.Contains($"Subject: {subject}", StringComparison.Ordinal)).Parse();
            return new Uri(RevokeLink().Match(((TextPart)((MultipartReport)dsn.Body!)[0]).Text).Value).PathAndQuery;
        }

        var dave = NoticeFor(UnusedAddress);
        UnusedPickupPath = $"/pickup/{PortalSteps.TokenIn(dave)}";
        UnusedReferenceCode = ReferenceCode().Match(dave.TextBody ?? "").Value;
        HeldRevokeLinkPath = RevokeLinkFor("Quarterly report");
        var pinDsn = dsns.Single(d => d.Text.Contains("Subject: [pin] Payslip", StringComparison.Ordinal)).Parse();
        NewPinLinkPath = new Uri(NewPinLink().Match(((TextPart)((MultipartReport)pinDsn.Body!)[0]).Text).Value).PathAndQuery;

        // A notice sent before carol registers, its link unused: signed out, it offers "I did not create this account".
        await _server.SendAsync("alice@sender.test", ["carol@plain.test"], "Invoice 7", "Amount due: 12 EUR.");
        var earlier = notices.Select(PortalSteps.TokenIn).ToHashSet();
        var invoice = (await _plain.WaitForMessagesAsync(5)).Select(n => PortalSteps.TokenIn(n.Parse())).Single(t => !earlier.Contains(t));
        ExistingAccountPickupPath = $"/pickup/{invoice}";
        _states[TourSession.Anonymous] = null;

        await using (var context = await chromium.NewContextAsync())
        {
            var page = await context.NewPageAsync();
            await PortalSteps.RegisterThroughLinkAsync(page, _server, PortalSteps.TokenIn(NoticeFor("carol@plain.test")));
            await page.GetByRole(AriaRole.Link, new PageGetByRoleOptions { Name = "Quarterly report" }).ClickAsync();
            await page.WaitForAddressAsync("**/messages/**");
            HeldMessagePath = new Uri(page.Url).AbsolutePath;
            await page.GetByLabel("Your reply").FillAsync("Thank you, received.");
            await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Send the reply" }).ClickAsync();
            await page.WaitForAddressAsync("**/messages/**?replied=true*");
            await page.GotoAsync(Address("/inbox").ToString());
            var links = await page.EvaluateAsync<string[][]>("() => [...document.querySelectorAll(\"a[href^='/messages/']\")].map(a => [a.getAttribute('href'), a.textContent])");
            PinMessagePath = links.Single(l => l[1] is not ("Quarterly report" or "Contract draft" or "Invoice 7"))[0]; // its subject is not shown
            await page.GetByRole(AriaRole.Link, new PageGetByRoleOptions { Name = "Contract draft" }).ClickAsync();
            await page.WaitForAddressAsync("**/messages/**");
            RevokedMessagePath = new Uri(page.Url).AbsolutePath;
            _states[TourSession.Recipient] = await context.StorageStateAsync();

            // The sender revokes the second message with the link in its "held" DSN.
            var sender = await context.Browser!.NewContextAsync();
            var senderPage = await sender.NewPageAsync();
            await senderPage.GotoAsync(Address(RevokeLinkFor("Contract draft")).ToString());
            await senderPage.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Revoke the message" }).ClickAsync();
            await senderPage.WaitForSelectorAsync(".notice");
            await sender.DisposeAsync();
        }

        await _server.AddPortalUserAsync("admin@ops.test", AdminPassword, Data.PortalRoles.Admin);
        await using (var context = await chromium.NewContextAsync())
        {
            var page = await context.NewPageAsync();
            await PortalSteps.SignInAsNewAdminAsync(page, _server, "admin@ops.test", AdminPassword, "/admin/queue");
            await page.WaitForAddressAsync("**/admin/queue");
            await page.GetByRole(AriaRole.Link, new PageGetByRoleOptions { Name = "carol@plain.test" }).First.ClickAsync();
            await page.WaitForAddressAsync("**/admin/messages/**");
            AdminMessagePath = new Uri(page.Url).AbsolutePath;
            _states[TourSession.Admin] = await context.StorageStateAsync();
        }
    }

    /// <summary>
    /// An HTML message that tests a phone's screen: a 300-character word, a table wider than the screen, a
    /// preformatted line, an image larger than the screen (its source is blocked, its size stays); and two attachments.
    /// </summary>
    private static MimeMessage HeldMessage()
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Alice Example", "alice@sender.test"));
        message.To.Add(MailboxAddress.Parse("carol@plain.test"));
        message.Subject = "Quarterly report";
        var cells = string.Concat(Enumerable.Range(1, 12).Select(i => $"<td>Region {i} revenue</td>"));
        var headers = string.Concat(Enumerable.Range(1, 12).Select(i => $"<th>Q{i}</th>"));
        var body = new BodyBuilder
        {
            HtmlBody = $"""
                <p>Dear Carol, the figures are below.</p>
                <p>Reference: {LongWord}</p>
                <table width="1400"><tr>{headers}</tr><tr>{cells}</tr></table>
                <pre>{string.Join(" ", Enumerable.Repeat("column", 40))}</pre>
                <p><img src="https://images.sender.test/chart.png" width="1200" height="300" alt="Revenue chart"></p>
                <p>See <a href="https://www.sender.test/report">the full report</a>.</p>
                """,
        };
        body.Attachments.Add("figures.pdf", "%PDF-1.4 figures"u8.ToArray());
        body.Attachments.Add("notes.txt", "plain notes"u8.ToArray());
        message.Body = body.ToMessageBody();
        return message;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        if (_senderServer is not null)
        {
            await _senderServer.DisposeAsync();
        }

        if (_plain is not null)
        {
            await _plain.DisposeAsync();
        }

        if (_logo is not null)
        {
            File.Delete(_logo);
        }
    }

    [GeneratedRegex(@"https?://\S+/held/revoke/[A-Za-z0-9_-]{43}")]
    private static partial Regex RevokeLink();

    [GeneratedRegex(@"https?://\S+/pin/[A-Za-z0-9_-]{43}")]
    private static partial Regex NewPinLink();

    [GeneratedRegex("[A-HJ-NP-Z2-9]{3}-[A-HJ-NP-Z2-9]{3}-[A-HJ-NP-Z2-9]{3}")]
    private static partial Regex ReferenceCode();
}
