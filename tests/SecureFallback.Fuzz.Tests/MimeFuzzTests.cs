using System.Buffers;
using System.Text;
using System.Text.RegularExpressions;
using AngleSharp.Html.Parser;
using CsCheck;
using MimeKit;
using SecureFallback.Core.Delivery;
using SecureFallback.Core.Messages;
using SecureFallback.Delivery.Notices;
using SecureFallback.Portal;
using SecureFallback.Smtp;
using Xunit.Abstractions;

namespace SecureFallback.Fuzz.Tests;

/// <summary>
/// Fuzzes what we build from hostile mail in-process, fast: the HTML sanitizing the portal shows, the pickup notice,
/// DSN and read receipt composed from the original's headers, and the DATA checks against a plain model.
/// </summary>
public sealed partial class MimeFuzzTests(ITestOutputHelper output)
{
    private static readonly string[] HtmlFragments =
    [
        "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<svg onload=alert(1)>", "<a href=\"javascript:alert(1)\">x</a>",
        "<iframe src=\"data:text/html,<script>alert(1)</script>\">", "<object data=x>", "<embed src=x>", "<base href=\"javascript:/\">",
        "<form action=\"javascript:x\"><button formaction=\"javascript:y\">b</button></form>", "<style>@import 'x'</style>",
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>", "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
        "<a href=\"jav&#x09;ascript:alert(1)\">t</a>", "<div style=\"background:url(javascript:alert(1))\">", "<meta http-equiv=refresh content=\"0;url=javascript:x\">",
        "<p>", "</p>", "<b>", "<table><tr><td>", "\"", "'", "<", ">", "=", "&#", "<!--", "-->", "<![CDATA[", "]]>", "<svg><a xlink:href=\"javascript:z\">",
        "<input autofocus onfocus=alert(1)>", "<details open ontoggle=alert(1)>", "<video><source onerror=alert(1)>", "<template><script>x</script>",
    ];

    private static readonly HtmlParser Parser = new();

    [Fact]
    public void SanitizedHtml_NeverKeepsScriptEventHandlersOrScriptUrls()
    {
        var html = Gen.OneOf(HtmlFragments).Array[1, 12].Select(parts => string.Concat(parts));
        var mailHtml = new MailHtml();

        html.Sample(
            input =>
            {
                var document = Parser.ParseDocument("<body>" + mailHtml.Clean(input) + "</body>");
                foreach (var element in document.Body!.QuerySelectorAll("*"))
                {
                    Assert.DoesNotContain(element.LocalName, (string[])["script", "iframe", "object", "embed", "base", "form", "meta", "link", "style", "frame"]);
                    foreach (var attribute in element.Attributes)
                    {
                        Assert.False(attribute.Name.StartsWith("on", StringComparison.OrdinalIgnoreCase), $"{element.LocalName} keeps {attribute.Name}");
                        var value = ControlOrSpace().Replace(attribute.Value, "").ToLowerInvariant();
                        Assert.False(value.StartsWith("javascript:", StringComparison.Ordinal) || value.StartsWith("vbscript:", StringComparison.Ordinal) || value.StartsWith("data:text/html", StringComparison.Ordinal), $"{attribute.Name}={attribute.Value}");
                        Assert.DoesNotContain("javascript:", value);
                    }
                }
            },
            iter: FuzzBudget.Iterations(1000),
            time: FuzzBudget.Time,
            writeLine: output.WriteLine);
    }

    [Fact]
    public void DataChecks_AgreeWithAPlainModel_HoweverTheBytesAreSegmented()
    {
        var data = Gen.OneOf((byte)'\r', (byte)'\n', (byte)'.', (byte)'a').Array[0, 40];
        var cuts = Gen.Int[1, 8];

        Gen.Select(data, cuts).Sample(
            (bytes, segmentSize) =>
            {
                var sequence = Segmented(bytes, segmentSize);
                var text = Encoding.ASCII.GetString(bytes);
                var bare = BareLineEnding().IsMatch(text);
                var longest = text.Split('\r', '\n').Max(line => line.Length);

                var scanned = DataLines.Scan(sequence);
                Assert.Equal(bare, scanned.HasBareLineEnding);
                Assert.Equal(longest, scanned.LongestLine);
            },
            iter: FuzzBudget.Iterations(3000),
            time: FuzzBudget.Time,
            writeLine: output.WriteLine);
    }

    [Fact]
    public void NoticeDsnAndReceipt_FromHostileHeaders_AreWellFormed_AndCarryNothingFromTheBody()
    {
        var notices = new PickupNoticeComposer(new MailBrand(new SecureFallback.Core.Branding.BrandingOptions { OrganizationName = "Example Org" }), new Uri("https://secure.example.test/"), MailboxAddress.Parse("notices@example.test"), "securefallback.example.test", TimeProvider.System);
        var dsns = new DsnComposer("securefallback.example.test", MailboxAddress.Parse("notices@example.test"), TimeProvider.System);
        var receipts = new ReadReceiptComposer("securefallback.example.test", MailboxAddress.Parse("notices@example.test"), TimeProvider.System);

        FuzzInput.Mutated(FuzzInput.Corpus("mime")).Sample(
            raw =>
            {
                HeaderList headers;
                try
                {
                    headers = HeaderList.Load(new MemoryStream(raw)); // as NoticeQueue reads a held message's headers
                }
                catch (FormatException)
                {
                    return; // the outbox then uses the envelope alone
                }

                var sender = headers[HeaderId.From] is { } from && InternetAddressList.TryParse(from, out var list) && list.Mailboxes.FirstOrDefault() is { } mailbox
                    ? mailbox
                    : new MailboxAddress("", "alice@sender.test");
                var original = new QueuedMessage { Id = Guid.NewGuid(), EnvelopeFrom = "alice@sender.test", ReceivedAt = DateTimeOffset.UtcNow };
                var held = QueuedRecipient.Create(original.Id, "carol@plain.test", original.ReceivedAt);
                held.Message = original;
                var noStartTls = new HostAttemptResult(DeliveryOutcome.TlsUnavailable, FailureReason.StartTlsNotSupported, null, null);
                held.HoldForPickup(new RecipientAttempt(noStartTls, null), DateTimeOffset.UtcNow.AddDays(14));
                // The marker counts as body-only when no header holds it, even split by line breaks a header may fold over.
                var bodyOnly = !headers.Any(h => Unbroken(Encoding.UTF8.GetString(h.RawValue) + h.Field).Contains("BODYMARKER", StringComparison.Ordinal));

                foreach (var composed in new[]
                {
                    notices.Compose(new PickupNotice(sender, DateTimeOffset.UtcNow, headers[HeaderId.Subject], "carol@plain.test", "ABC-DEF-GHJ", "token", DateTimeOffset.UtcNow.AddDays(14))),
                    dsns.Compose(original, [held], headers),
                    receipts.Compose("alice@sender.test", "carol@plain.test", headers, new Reading(DateTimeOffset.UtcNow, "192.0.2.0/24", "Firefox", true)),
                })
                {
                    using var written = new MemoryStream();
                    composed.WriteTo(written);
                    var reparsed = MimeMessage.Load(new MemoryStream(written.ToArray()));
                    Assert.NotNull(reparsed.From.Mailboxes.FirstOrDefault());
                    if (bodyOnly)
                    {
                        Assert.DoesNotContain("BODYMARKER", Encoding.UTF8.GetString(written.ToArray()));
                    }
                }
            },
            iter: FuzzBudget.Iterations(500),
            time: FuzzBudget.Time,
            writeLine: output.WriteLine,
            print: input => Convert.ToBase64String(input));
    }

    private static string Unbroken(string text) => text.Replace("\r", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal);

    private static ReadOnlySequence<byte> Segmented(byte[] bytes, int size)
    {
        if (bytes.Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        Segment? first = null, last = null;
        for (var offset = 0; offset < bytes.Length; offset += size)
        {
            var segment = new Segment(bytes.AsMemory(offset, Math.Min(size, bytes.Length - offset)), offset);
            first ??= segment;
            last?.Link(segment);
            last = segment;
        }

        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex) => (Memory, RunningIndex) = (memory, runningIndex);

        public void Link(Segment next) => Next = next;
    }

    [GeneratedRegex(@"\r(?!\n)|(?<!\r)\n")]
    private static partial Regex BareLineEnding();

    [GeneratedRegex(@"[\s\x00-\x1f]")]
    private static partial Regex ControlOrSpace();
}
