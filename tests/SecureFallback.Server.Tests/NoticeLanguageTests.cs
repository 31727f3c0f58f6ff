using Microsoft.Extensions.Options;
using MimeKit;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

/// <summary>The mail we write speaks the reader's language and names the organisation; protocol fields stay RFC.</summary>
public sealed class NoticeLanguageTests
{
    private const string Organization = "Example Health Ltd";
    private const string Support = "Questions? Call +41 44 000 00 00";

    [Theory]
    [InlineData("en", "sent you a message through Example Health Ltd's secure delivery", "and enter this reference code:", "How to check that this notice is genuine")]
    [InlineData("de", "hat Ihnen über die sichere Zustellung von Example Health Ltd eine Nachricht gesendet", "und geben Sie diesen Referenzcode ein:", "So prüfen Sie, ob diese Benachrichtigung echt ist")]
    [InlineData("fr", "vous a envoyé un message via la distribution sécurisée de Example Health Ltd", "et saisissez ce code de référence :", "Comment vérifier que cet avis est authentique")]
    [InlineData("es", "le ha enviado un mensaje a través de la entrega segura de Example Health Ltd", "e introduzca este código de referencia:", "Cómo comprobar que este aviso es auténtico")]
    [InlineData("nl", "heeft u een bericht gestuurd via de beveiligde bezorging van Example Health Ltd", "en voert u deze referentiecode in:", "Zo controleert u of deze melding echt is")]
    public async Task PickupNotice_InTheConfiguredLanguage_SaysItsKeyPhrases_InBothParts_WithTheOrganisationAndSupportLine(string language, string subject, string codePhrase, string checkTitle)
    {
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var server = await StartAsync(plain, new() { ["SecureFallback:Notices:Language"] = language });

        await server.SendAsync(Original());

        var notice = await plain.WaitForMessageAsync();
        Assert.Equal($"Alice Example {subject}", notice.Subject);
        foreach (var part in new[] { notice.TextBody, System.Net.WebUtility.HtmlDecode(notice.HtmlBody) })
        {
            Assert.Contains(codePhrase, part);
            Assert.Contains(checkTitle, part);
            Assert.Contains(Organization, part);
            Assert.Contains(Support, part);
            Assert.Contains("secure.example.org", part);
            Assert.Contains(" UTC", part); // the time zone named
        }

        Assert.Contains($"<html lang=\"{language}\"", notice.HtmlBody);
        Assert.Contains("#0a5c36", notice.HtmlBody); // the accent colour
        AssertNotPhishingShaped(notice);
    }

    /// <summary>What filters and wary readers check: who it is from, that links say where they go, headers complete.</summary>
    private static void AssertNotPhishingShaped(MimeMessage notice)
    {
        var (text, html) = (notice.TextBody ?? "", notice.HtmlBody ?? "");
        Assert.Equal(new MailboxAddress(Organization, "postmaster@securefallback.test").ToString(), notice.From.Single().ToString());
        Assert.Empty(notice.ReplyTo);
        Assert.False(string.IsNullOrEmpty(notice.MessageId));
        Assert.NotEqual(default, notice.Date);
        var alternative = Assert.IsType<MultipartAlternative>(notice.Body);
        Assert.Equal(["text/plain", "text/html"], alternative.Select(p => p.ContentType.MimeType));
        var links = System.Text.RegularExpressions.Regex.Matches(html, "<a href=\"([^\"]*)\"[^>]*>([^<]*)</a>");
        Assert.NotEmpty(links);
        Assert.All(links, l => Assert.Equal(l.Groups[1].Value, l.Groups[2].Value)); // link text is the link's address
        Assert.All(links, l => Assert.StartsWith("https://secure.example.org/", l.Groups[1].Value)); // our portal, no shortener
        Assert.DoesNotContain("<img", html);
        Assert.DoesNotContain("click here", text + html, StringComparison.OrdinalIgnoreCase);
        // The text part says what the HTML part says: not an afterthought (within a fifth of the HTML's visible text).
        var visible = System.Net.WebUtility.HtmlDecode(System.Text.RegularExpressions.Regex.Replace(html, "<[^>]+>", " "));
        Assert.InRange(text.Length, visible.Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries).Sum(w => w.Length + 1) * 0.8, double.MaxValue);
    }

    [Fact]
    public async Task PickupNotice_FollowsTheRecipientDomainsPolicyLanguage_OverNoticesLanguage_WithASecondLanguageLineOnTop()
    {
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var server = await StartAsync(plain, new()
        {
            ["SecureFallback:Notices:Language"] = "fr",
            ["SecureFallback:Policies:plain.test:Language"] = "de,en",
        });

        await server.SendAsync(Original());

        var notice = await plain.WaitForMessageAsync();
        Assert.StartsWith("Alice Example hat Ihnen", notice.Subject);
        Assert.StartsWith("English: Alice Example sent you a message through Example Health Ltd. To read it, go to https://secure.example.org/ and enter the reference code ", notice.TextBody);
        Assert.Contains("und geben Sie diesen Referenzcode ein:", notice.TextBody);
        Assert.Contains("lang=\"en\"", notice.HtmlBody);
        Assert.DoesNotContain("saisissez", notice.TextBody);
    }

    [Fact]
    public async Task HeldDsn_HumanPartInTheSenderDomainsLanguage_DeliveryStatusFieldsStayRfc()
    {
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var senderServer = await TlsSmtpReceiver.StartAsync("mx.sender.test");
        await using var server = await StartAsync(plain, new()
        {
            ["SecureFallback:Delivery:Routes:sender.test"] = senderServer.Route,
            ["SecureFallback:Policies:sender.test:Language"] = "nl",
            ["SecureFallback:Policies:plain.test:Language"] = "de",
        });

        await server.SendAsync(Original());

        var dsn = (await senderServer.WaitForMessagesAsync(1)).Single().Parse();
        Assert.StartsWith("Klaargezet voor beveiligd ophalen", dsn.Subject);
        var report = Assert.IsType<MultipartReport>(dsn.Body);
        var human = ((TextPart)report[0]).Text;
        Assert.Contains("klaargezet voor beveiligd ophalen, omdat de ontvangende server geen versleuteling ondersteunt", human);
        Assert.Contains(Organization, human);
        Assert.Contains(Support, human);
        var status = Assert.IsType<MessageDeliveryStatus>(report[1]);
        Assert.Equal("rfc822; carol@plain.test", status.StatusGroups[1]["Final-Recipient"]);
        Assert.Equal("relayed", status.StatusGroups[1]["Action"]);
        Assert.DoesNotContain(status.StatusGroups.SelectMany(g => g), h => h.Value.Any(c => c > 127));
    }

    [Theory]
    [InlineData("SecureFallback:Notices:Language", "klingon", "SecureFallback:Notices:Language 'klingon' must be one of en, de, fr, es, nl.")]
    [InlineData("SecureFallback:Notices:Language", "de,en", "SecureFallback:Notices:Language 'de,en' must be one of en, de, fr, es, nl.")]
    [InlineData("SecureFallback:Policies:plain.test:Language", "de,xx", "SecureFallback:Policies:plain.test:Language 'de,xx' must be one language (en, de, fr, es, nl) or two separated by a comma, such as de,en.")]
    [InlineData("SecureFallback:Policies:plain.test:Language", "de,en,fr", "SecureFallback:Policies:plain.test:Language 'de,en,fr' must be one language (en, de, fr, es, nl) or two separated by a comma, such as de,en.")]
    public async Task Start_WithAnUnsupportedLanguage_StopsWithAMessageNamingTheSetting(string key, string value, string expected)
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => SecureFallbackInstance.StartAsync(new Dictionary<string, string> { [key] = value }));

        Assert.Contains(expected, error.Message);
    }

    internal static MimeMessage Original()
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Alice Example", "alice@sender.test"));
        message.To.Add(MailboxAddress.Parse("carol@plain.test"));
        message.Subject = "Quarterly figures";
        message.Body = new TextPart("plain") { Text = "held body" };
        return message;
    }

    internal static Task<SecureFallbackInstance> StartAsync(ScriptedSmtpReceiver plain, Dictionary<string, string> settings)
    {
        settings["SecureFallback:Delivery:Routes:plain.test"] = plain.Route;
        settings["SecureFallback:Portal:PublicUrl"] = "https://secure.example.org";
        settings["SecureFallback:Branding:OrganizationName"] = Organization;
        settings["SecureFallback:Branding:SupportContact"] = Support;
        settings["SecureFallback:Branding:AccentColor"] = "#0a5c36";
        return SecureFallbackInstance.StartAsync(settings);
    }
}
