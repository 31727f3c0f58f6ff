using System.Net;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using SecureFallback.Data;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

/// <summary>Every mailbox the intake queues can register through its notice's link, sign in and read its message.</summary>
public sealed partial class PickupAddressTests
{
    private const string Password = "a long portal password";

    /// <summary>Unusual but valid RFC 5321 mailboxes: atext specials, quoted local parts, an IDN A-label, any case.</summary>
    public static readonly string[] Addresses =
    [
        "o'brien@plain.test",
        "a&b+tag=x/y@plain.test",
        "!#$%*?^{|}~@plain.test",
        "jurgen@XN--Bcher-kva.test",
        "MiXeD.Case@Plain.TEST",
        "\"john smith\"@plain.test",
        "\"Back\\\\slash \\\"Quote\\\" Comma,\"@plain.test",
        "\"QUOTED ..UPPER\"@XN--Bcher-kva.test",
        "\"a@b\"@plain.test",
    ];

    [Fact]
    public async Task EveryAddressTheIntakeQueues_RegistersThroughItsLink_SignsIn_AndReadsItsMessage()
    {
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var senderServer = await TlsSmtpReceiver.StartAsync("mx.sender.test");
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Delivery:Routes:sender.test"] = senderServer.Route,
            ["SecureFallback:Delivery:Routes:plain.test"] = plain.Route,
            ["SecureFallback:Delivery:Routes:xn--bcher-kva.test"] = plain.Route,
            ["SecureFallback:Portal:CredentialRequestsPerMinute"] = "100", // one client registers and signs in for the whole table
        });
        foreach (var (address, index) in Addresses.Select((a, i) => (a, i)))
        {
            await server.SendAsync("alice@sender.test", [address], $"For recipient {index}", $"marker-{index}-body");
        }

        var notices = await plain.WaitForMessagesAsync(Addresses.Length);
        var failures = new List<string>();
        foreach (var (address, index) in Addresses.Select((a, i) => (a, i)))
        {
            var notice = notices.Select(n => n.Parse()).Single(n => n.Subject is not null && (n.TextBody ?? "").Contains($"/pickup/", StringComparison.Ordinal)
                && n.To.Mailboxes.Any(m => string.Equals(m.Address, MailboxAddress.Parse(address).Address, StringComparison.OrdinalIgnoreCase)));
            try
            {
                await RegisterSignInAndReadAsync(server, address, TokenInLink().Match(notice.TextBody!).Groups[1].Value, $"marker-{index}-body");
            }
            catch (Exception ex) when (ex is InvalidOperationException or Xunit.Sdk.XunitException)
            {
                failures.Add($"{address}: {ex.Message}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
        await using var scope = server.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
        Assert.Contains("MiXeD.Case@plain.test", await db.PickupGrants.Select(g => g.Address).ToListAsync()); // domain lower-cased, local part kept
        Assert.Contains("MiXeD.Case@plain.test", await db.Users.Select(u => u.UserName).ToListAsync());
        Assert.Contains("\"john smith\"@plain.test", await db.PickupGrants.Select(g => g.Address).ToListAsync()); // quoted, as RFC 5321 spells it
    }

    private static async Task RegisterSignInAndReadAsync(SecureFallbackInstance server, string address, string token, string marker)
    {
        await RegisterThroughLinkAsync(server, token);
        await SignInAndReadAsync(server, address, marker);
    }

    private static async Task RegisterThroughLinkAsync(SecureFallbackInstance server, string token)
    {
        using var visitor = new PortalVisitor(server.WebAddress);
        using var form = await visitor.SendAsync(HttpMethod.Get, $"/pickup/{token}");
        using var created = await visitor.SendAsync(HttpMethod.Post, $"/pickup/{token}", new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = PortalVisitor.TokenIn(await form.Content.ReadAsStringAsync()),
            ["password"] = Password,
            ["confirm"] = Password,
        });
        if (created.StatusCode != HttpStatusCode.Redirect)
        {
            throw new InvalidOperationException($"registration answered {(int)created.StatusCode}: {ErrorsIn(await created.Content.ReadAsStringAsync())}");
        }
    }

    /// <summary>Signs in typing <paramref name="typed"/>, reads the one message the inbox lists and returns its page.</summary>
    private static async Task<string> SignInAndReadAsync(SecureFallbackInstance server, string typed, string marker)
    {
        using var reader = new PortalVisitor(server.WebAddress);
        await reader.SignInAsync(typed, Password);
        using var inbox = await reader.SendAsync(HttpMethod.Get, "/inbox");
        var links = MessageLink().Matches(await inbox.Content.ReadAsStringAsync()).Select(m => m.Value).Distinct().ToList();
        if (links.Count == 0)
        {
            throw new InvalidOperationException($"the inbox ({(int)inbox.StatusCode}) lists no message");
        }

        Assert.Single(links);
        using var message = await reader.SendAsync(HttpMethod.Get, links[0]);
        Assert.Equal(HttpStatusCode.OK, message.StatusCode);
        var page = await message.Content.ReadAsStringAsync();
        Assert.Contains(marker, page);
        return page;
    }

    private static string ErrorsIn(string html) =>
        string.Join(" | ", Regex.Matches(html, "<p class=\"error\">([^<]*)</p>").Select(m => WebUtility.HtmlDecode(m.Groups[1].Value)));

    [GeneratedRegex(@"/pickup/([A-Za-z0-9_-]{43})")]
    private static partial Regex TokenInLink();

    [GeneratedRegex(@"/messages/[0-9a-f-]{36}")]
    private static partial Regex MessageLink();
}
