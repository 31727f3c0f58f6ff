using MimeKit;
using SecureFallback.Core.Pickup;
using SecureFallback.Delivery.Notices;

namespace SecureFallback.Delivery.Tests;

/// <summary>With no organisation configured, mail says "this organisation" in the reader's language, never in English.</summary>
public sealed class UnnamedOrganizationMailTests
{
    private static readonly MailboxAddress From = MailboxAddress.Parse("notices@example.org");
    private static readonly Uri Portal = new("https://secure.example.org/");
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 8, 30, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("en", "this organisation")]
    [InlineData("de", "diese Organisation")]
    [InlineData("fr", "cette organisation")]
    [InlineData("es", "esta organización")]
    [InlineData("nl", "deze organisatie")]
    public void AccountCode_WithoutAnOrganisationName_SaysThisOrganisationInTheReadersLanguage(string language, string unnamed)
    {
        var mail = new AccountMailComposer(MailBrand.Unnamed, Portal, From, "sf.test").Compose("carol@plain.test", AccountMailPurpose.Registration, "ABCDE-FGHJK", TimeSpan.FromMinutes(15), Now, NoticeText.Language(language).Words);

        foreach (var part in new[] { mail.Subject, mail.TextBody, System.Net.WebUtility.HtmlDecode(mail.HtmlBody) })
        {
            Assert.Contains(unnamed, part);
            if (language != "en")
            {
                Assert.DoesNotContain("this organisation", part);
            }
        }

        Assert.Equal("notices@example.org", mail.From.Single().ToString()); // no name of its own: the bare address
    }
}
