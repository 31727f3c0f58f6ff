using System.Net;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using SecureFallback.Data;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

/// <summary>
/// A held message under a PIN policy opens only with the PIN the sender got in the held DSN (over mandatory TLS) and
/// passes on by phone: the link and a password, which whoever reads the recipient's plain mail path can also get, are
/// not enough. Five wrong PINs lock it until the sender's link or an admin issues a new one.
/// </summary>
public sealed partial class PickupPinTests
{
    private const string Password = "a long portal password";
    private const string AdminEmail = "admin@ops.test";
    private const string AdminPassword = "an admin console password";

    [Fact]
    public async Task HeldDsn_CarriesOnePinPerRecipient_AndTheNoticeMentionsThePinButNeverContainsIt()
    {
        await using var held = await HeldAsync(["carol@plain.test", "dave@plain.test"]);

        var carolPin = PinFor(held.DsnText, "carol@plain.test");
        var davePin = PinFor(held.DsnText, "dave@plain.test");
        Assert.NotEqual(carolPin, davePin);
        Assert.Matches("^[A-HJKMNP-Z2-9]{5}-[A-HJKMNP-Z2-9]{5}$", carolPin); // ≥ 8 characters, no 0/O/1/I/L
        Assert.Contains("by PHONE or TEXT MESSAGE", held.DsnText);
        Assert.Contains("NEVER BY E-MAIL", held.DsnText);
        Assert.Equal(2, NewPinLink().Matches(held.DsnText).Count);
        foreach (var notice in held.Notices)
        {
            Assert.Contains("will give it to you by phone or text message", notice.TextBody);
            Assert.Contains("phone or text message", notice.HtmlBody);
            foreach (var pin in new[] { carolPin, davePin })
            {
                Assert.DoesNotContain(pin, notice.TextBody + notice.HtmlBody, StringComparison.OrdinalIgnoreCase);
                Assert.DoesNotContain(pin.Replace("-", "", StringComparison.Ordinal), notice.TextBody + notice.HtmlBody, StringComparison.OrdinalIgnoreCase);
            }
        }

        await using var scope = held.Server.Services.CreateAsyncScope();
        var grants = await scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>().PickupGrants.ToListAsync();
        Assert.All(grants, g => Assert.True(g.PinRequired && g.PinHash is { Length: 48 } && g.PinResetTokenHash is { Length: 32 }));
        await DeliveryTests.GrepDataDirectoryAsync(held.Server.DataDirectory, carolPin.Replace("-", "", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PinProtectedMessage_CannotBeReadWithLinkAndPasswordAlone_TheRightPinOpensItForGood()
    {
        await using var held = await HeldAsync(["carol@plain.test"]);
        using var carol = new PortalVisitor(held.Server.WebAddress);
        var message = await RegisterAsync(carol, held);

        var locked = await ReadAsync(carol, message);
        Assert.DoesNotContain("carol-marker-body", locked);
        Assert.Contains("name=\"pin\"", locked);
        foreach (var download in new[] { "?handler=eml", "?handler=attachment&index=0" })
        {
            using var refused = await carol.SendAsync(HttpMethod.Get, message + download);
            Assert.DoesNotContain("carol-marker-body", await refused.Content.ReadAsStringAsync());
            Assert.NotEqual(HttpStatusCode.OK, refused.StatusCode);
        }

        var pin = PinFor(held.DsnText, "carol@plain.test");
        using (var entered = await EnterPinAsync(carol, message, pin.ToLowerInvariant().Replace("-", " ", StringComparison.Ordinal)))
        {
            Assert.Equal(HttpStatusCode.Redirect, entered.StatusCode);
        }

        Assert.Contains("carol-marker-body", await ReadAsync(carol, message));
        using var again = new PortalVisitor(held.Server.WebAddress);
        await again.SignInAsync("carol@plain.test", Password);
        Assert.Contains("carol-marker-body", await ReadAsync(again, message)); // unlocked for good
        using var eml = await again.SendAsync(HttpMethod.Get, message + "?handler=eml");
        Assert.Contains("carol-marker-body", await eml.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task FiveWrongPins_LockTheMessage_EvenForTheRightPin_UntilTheSendersLinkIssuesANewOne()
    {
        await using var held = await HeldAsync(["carol@plain.test"]);
        using var carol = new PortalVisitor(held.Server.WebAddress);
        var message = await RegisterAsync(carol, held);
        var pin = PinFor(held.DsnText, "carol@plain.test");

        await EnterWrongPinsAsync(carol, message);
        using (var right = await EnterPinAsync(carol, message, pin))
        {
            var page = await right.Content.ReadAsStringAsync();
            Assert.Contains("Ask the sender for a new PIN", page);
            Assert.DoesNotContain("carol-marker-body", page);
        }

        Assert.DoesNotContain("carol-marker-body", await ReadAsync(carol, message));

        // The sender opens the link from the held DSN and issues a new PIN; the old one stays dead.
        using var sender = new PortalVisitor(held.Server.WebAddress);
        var link = new Uri(NewPinLink().Match(held.DsnText).Value).PathAndQuery;
        using var form = await sender.SendAsync(HttpMethod.Get, link);
        using var issued = await sender.SendAsync(HttpMethod.Post, link, new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = PortalVisitor.TokenIn(await form.Content.ReadAsStringAsync()),
        });
        var newPin = PinIn().Match(await issued.Content.ReadAsStringAsync()).Groups[1].Value;
        Assert.Matches("^[A-HJKMNP-Z2-9]{5}-[A-HJKMNP-Z2-9]{5}$", newPin);
        using (var old = await EnterPinAsync(carol, message, pin))
        {
            Assert.DoesNotContain("carol-marker-body", await old.Content.ReadAsStringAsync());
        }

        using (var entered = await EnterPinAsync(carol, message, newPin))
        {
            Assert.Equal(HttpStatusCode.Redirect, entered.StatusCode);
        }

        Assert.Contains("carol-marker-body", await ReadAsync(carol, message));
    }

    [Fact]
    public async Task LockedMessage_AnAdminIssuesANewPin_OnTheMessagePage_AndItOpensTheMessage()
    {
        await using var held = await HeldAsync(["carol@plain.test"]);
        using var carol = new PortalVisitor(held.Server.WebAddress);
        var message = await RegisterAsync(carol, held);
        await EnterWrongPinsAsync(carol, message);
        await held.Server.AddPortalUserAsync(AdminEmail, AdminPassword, "Admin");
        using var admin = new PortalVisitor(held.Server.WebAddress);
        await admin.SignInAsync(AdminEmail, AdminPassword);
        await admin.TurnOnAuthenticatorAsync(); // the console opens only after two-step sign-in
        var recipient = (await held.Server.RecipientsAsync()).Single(r => r.Address == "carol@plain.test" && r.Message!.Kind == Core.Messages.MessageKind.Submitted);

        var page = $"/admin/messages/{recipient.MessageId}";
        using var trail = await admin.SendAsync(HttpMethod.Get, page);
        var html = await trail.Content.ReadAsStringAsync();
        Assert.Contains("Issue new PIN", html);
        using var issued = await admin.SendAsync(HttpMethod.Post, $"{page}?handler=pin", new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = PortalVisitor.TokenIn(html),
            ["recipientId"] = recipient.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        var shown = await issued.Content.ReadAsStringAsync();
        var newPin = PinIn().Match(shown).Groups[1].Value;
        Assert.NotEmpty(newPin);
        using (var after = await admin.SendAsync(HttpMethod.Get, page))
        {
            var later = await after.Content.ReadAsStringAsync();
            Assert.DoesNotContain(newPin, later); // shown once
            Assert.Contains("admin admin@ops.test", later); // audited: who issued it, never the PIN
        }

        using (var entered = await EnterPinAsync(carol, message, newPin))
        {
            Assert.Equal(HttpStatusCode.Redirect, entered.StatusCode);
        }

        Assert.Contains("carol-marker-body", await ReadAsync(carol, message));
    }

    private static async Task EnterWrongPinsAsync(PortalVisitor visitor, string message)
    {
        for (var i = 0; i < 5; i++)
        {
            using var wrong = await EnterPinAsync(visitor, message, "AAAAA-AAAAA");
            Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
        }
    }

    private static async Task<HttpResponseMessage> EnterPinAsync(PortalVisitor visitor, string message, string pin)
    {
        using var form = await visitor.SendAsync(HttpMethod.Get, message);
        return await visitor.SendAsync(HttpMethod.Post, $"{message}?handler=pin", new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = PortalVisitor.TokenIn(await form.Content.ReadAsStringAsync()),
            ["pin"] = pin,
        });
    }

    private static async Task<string> ReadAsync(PortalVisitor visitor, string message)
    {
        using var response = await visitor.SendAsync(HttpMethod.Get, message);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>Registers through the notice link; returns the message's path.</summary>
    private static async Task<string> RegisterAsync(PortalVisitor visitor, Held held)
    {
        var token = PickupToken().Match(held.Notices.Single().TextBody!).Groups[1].Value;
        using var form = await visitor.SendAsync(HttpMethod.Get, $"/pickup/{token}");
        using var created = await visitor.SendAsync(HttpMethod.Post, $"/pickup/{token}", new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = PortalVisitor.TokenIn(await form.Content.ReadAsStringAsync()),
            ["password"] = Password,
            ["confirm"] = Password,
        });
        Assert.Equal(HttpStatusCode.Redirect, created.StatusCode);
        using var again = await visitor.SendAsync(HttpMethod.Get, $"/pickup/{token}");
        return again.Headers.Location!.OriginalString;
    }

    private static string PinFor(string dsnText, string address)
    {
        var match = Regex.Match(dsnText, $"PIN for <{Regex.Escape(address)}>: (\\S+)");
        Assert.True(match.Success, $"no PIN for {address} in the held DSN:\n{dsnText}");
        return match.Groups[1].Value;
    }

    private static async Task<Held> HeldAsync(string[] recipients, Action<IServiceCollection>? services = null)
    {
        var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        var senderServer = await TlsSmtpReceiver.StartAsync("mx.sender.test");
        var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Delivery:Routes:plain.test"] = plain.Route,
            ["SecureFallback:Delivery:Routes:sender.test"] = senderServer.Route,
            ["SecureFallback:Policies:plain.test:PickupPin"] = "true",
            ["SecureFallback:Portal:CredentialRequestsPerMinute"] = "1000",
        }, services: services);
        await server.SendAsync("alice@sender.test", recipients, "Lab results", "carol-marker-body");
        var notices = (await plain.WaitForMessagesAsync(recipients.Length)).Select(n => n.Parse()).ToList();
        var dsn = Assert.Single(await senderServer.WaitForMessagesAsync(1)).Parse();
        var text = ((TextPart)((MultipartReport)dsn.Body!)[0]).Text;
        return new Held(plain, senderServer, server, notices, text);
    }

    [GeneratedRegex(@"https?://\S+/pin/[A-Za-z0-9_-]{43}")]
    private static partial Regex NewPinLink();

    [GeneratedRegex(@"/pickup/([A-Za-z0-9_-]{43})")]
    private static partial Regex PickupToken();

    [GeneratedRegex(@"<strong class=""pin"">([A-Z0-9-]+)</strong>")]
    private static partial Regex PinIn();

    private sealed record Held(ScriptedSmtpReceiver Plain, TlsSmtpReceiver Sender, SecureFallbackInstance Server, List<MimeMessage> Notices, string DsnText) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Server.DisposeAsync();
            await Sender.DisposeAsync();
            await Plain.DisposeAsync();
        }
    }
}
