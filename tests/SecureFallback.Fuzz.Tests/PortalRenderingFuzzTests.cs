using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using CsCheck;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SecureFallback.Data;
using SecureFallback.TestKit;
using Xunit.Abstractions;

namespace SecureFallback.Fuzz.Tests;

/// <summary>
/// Hostile MIME end to end: submitted over SMTP, held (the receiver offers no STARTTLS), announced by the real notice
/// and DSN code, then opened in the portal with its attachments and .eml download. Nothing may answer 500, and the
/// notice may carry nothing of the body.
/// </summary>
public sealed partial class PortalRenderingFuzzTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Recipient = "carol@plain.test";
    private const string Password = "a long portal password";
    private readonly CapturedLog _log = new();
    private ScriptedSmtpReceiver _plain = null!;
    private SecureFallbackInstance _server = null!;
    private PortalVisitor _carol = null!;

    public async Task InitializeAsync()
    {
        _plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        _server = await SecureFallbackInstance.StartAsync(
            settings: new Dictionary<string, string>
            {
                ["SecureFallback:Delivery:Routes:plain.test"] = _plain.Route,
                ["SecureFallback:Delivery:Routes:sender.test"] = _plain.Route,
            },
            services: _log.AddTo);
        await _server.AddPortalUserAsync(Recipient, Password);
        _carol = new PortalVisitor(_server.WebAddress);
        await _carol.SignInAsync(Recipient, Password);
    }

    public async Task DisposeAsync()
    {
        _carol.Dispose();
        await _server.DisposeAsync();
        await _plain.DisposeAsync();
    }

    [Fact]
    public async Task HostileMime_HeldAndOpenedInThePortal_NeverFailsTheServer_AndTheNoticeHasNoBody()
    {
        await FuzzInput.Mutated(FuzzInput.Corpus("mime"), maxEdits: 4).SampleAsync(
            HoldAndOpenAsync,
            iter: FuzzBudget.Iterations(60),
            time: FuzzBudget.Time,
            threads: 2,
            writeLine: output.WriteLine,
            print: input => Convert.ToBase64String(input));

        Assert.DoesNotContain(_log.Entries, e => e.Level >= LogLevel.Error && e.Category.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
    }

    private async Task HoldAndOpenAsync(byte[] raw)
    {
        await using var client = await RawSmtpClient.ConnectAsync(_server.IntakePort);
        if (!(await client.StartDataAsync("alice@sender.test", Recipient)).StartsWith("354", StringComparison.Ordinal))
        {
            return;
        }

        var reply = await client.CommandAsync(AsSmtpData(raw) + ".");
        if (!reply.StartsWith("250", StringComparison.Ordinal))
        {
            return; // refused with a clear reply (bad line endings, size...): nothing more to see
        }

        var id = Guid.ParseExact(reply[^32..], "N");
        var grantId = await WaitForGrantAsync(id);
        if (grantId is null)
        {
            return; // unparseable: returned to the sender with a DSN instead of held
        }

        using var page = await _carol.SendAsync(HttpMethod.Get, $"/messages/{grantId}");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync();
        using var eml = await _carol.SendAsync(HttpMethod.Get, $"/messages/{grantId}?handler=eml");
        Assert.Equal(HttpStatusCode.OK, eml.StatusCode);
        foreach (Match attachment in AttachmentLink().Matches(html))
        {
            using var download = await _carol.SendAsync(HttpMethod.Get, WebUtility.HtmlDecode(attachment.Groups[1].Value));
            Assert.Equal(HttpStatusCode.OK, download.StatusCode);
            Assert.Equal("attachment", download.Content.Headers.ContentDisposition?.DispositionType);
        }

        using var inbox = await _carol.SendAsync(HttpMethod.Get, "/inbox");
        Assert.Equal(HttpStatusCode.OK, inbox.StatusCode);

        var code = await ReferenceCodeAsync(grantId.Value);
        var notice = await WaitForNoticeAsync(code);
        if (!HeadersOf(raw).Contains("BODYMARKER", StringComparison.Ordinal))
        {
            Assert.DoesNotContain("BODYMARKER", notice.Text);
        }
    }

    /// <summary>What a well-behaved client would send: CRLF lines of at most 998 octets, dot-stuffed.</summary>
    private static string AsSmtpData(byte[] raw)
    {
        var lines = Encoding.Latin1.GetString(raw).Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n').Split('\n');
        var data = new StringBuilder();
        foreach (var line in lines.SelectMany(l => l.Chunk(900).Select(c => new string(c)).DefaultIfEmpty("")))
        {
            data.Append(line.StartsWith('.') ? "." + line : line).Append("\r\n");
        }

        return data.ToString();
    }

    private static string HeadersOf(byte[] raw)
    {
        var text = Encoding.Latin1.GetString(raw).Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');
        var end = text.IndexOf("\n\n", StringComparison.Ordinal);
        return end < 0 ? text : text[..end];
    }

    private async Task<Guid?> WaitForGrantAsync(Guid messageId)
    {
        for (var attempt = 0; attempt < 150; attempt++)
        {
            await using (var scope = _server.Services.CreateAsyncScope())
            {
                var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
                if (await db.PickupGrants.AsNoTracking().Where(g => g.MessageId == messageId).Select(g => (Guid?)g.Id).FirstOrDefaultAsync() is { } grant)
                {
                    return grant;
                }

                if (await db.Recipients.AsNoTracking().AnyAsync(r => r.MessageId == messageId && r.CompletedAt != null && r.Status != Core.Messages.RecipientStatus.HeldForPickup))
                {
                    return null;
                }
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"message {messageId:N} was neither held nor returned");
    }

    private async Task<ReceivedMessage> WaitForNoticeAsync(string referenceCode)
    {
        for (var attempt = 0; attempt < 150; attempt++)
        {
            if (_plain.Messages.FirstOrDefault(m => m.To.Contains(Recipient) && m.Text.Contains(referenceCode, StringComparison.Ordinal)) is { } notice)
            {
                return notice;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"no pickup notice with reference {referenceCode}");
    }

    private async Task<string> ReferenceCodeAsync(Guid grantId)
    {
        await using var scope = _server.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
        return await db.PickupGrants.AsNoTracking().Where(g => g.Id == grantId).Select(g => g.ReferenceCode).SingleAsync();
    }

    [GeneratedRegex("href=\"([^\"]*handler=attachment[^\"]*)\"")]
    private static partial Regex AttachmentLink();
}
