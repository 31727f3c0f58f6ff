using MimeKit;
using SecureFallback.Core;
using SecureFallback.Core.Branding;
using SecureFallback.Core.Pickup;
using SecureFallback.Delivery.Notices;

namespace SecureFallback.Delivery.Tests;

/// <summary>Each kind of mail we write, in a language other than English, with the organisation's name and support line.</summary>
public sealed class LocalizedMailTests
{
    private static readonly MailBrand Brand = new(new BrandingOptions { OrganizationName = "Example Health Ltd", SupportContact = "Questions? Call +41 44 000 00 00" });
    private static readonly MailboxAddress From = MailboxAddress.Parse("notices@example.org");
    private static readonly Uri Portal = new("https://secure.example.org/");
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 8, 30, 0, TimeSpan.Zero);

    [Fact]
    public void AccountCode_InFrench_BothParts()
    {
        var mail = new AccountMailComposer(Brand, Portal, From, "sf.test").Compose("carol@plain.test", AccountMailPurpose.Registration, "ABCDE-FGHJK", TimeSpan.FromMinutes(15), Now, Words("fr"));

        Assert.Equal("Votre code de confirmation pour le portail de messages sécurisé de Example Health Ltd", mail.Subject);
        AssertBothParts(mail, "Votre code est :", "ABCDE-FGHJK", "dans les 15 minutes");
        Assert.Equal("\"Example Health Ltd\" <notices@example.org>", mail.From.Single().ToString());
    }

    [Fact]
    public void SecondStepChange_InDutch_BothParts_DateInDutchWithUtc()
    {
        var mail = new SecondStepMailComposer(Brand, Portal, From, "sf.test").Compose("carol@plain.test", "Two-step sign-in is on.", Now, Words("nl"));

        Assert.Equal("De aanmelding van uw account op het beveiligde berichtenportaal van Example Health Ltd is gewijzigd", mail.Subject);
        AssertBothParts(mail, "zondag 6 december 2026 08:30 UTC", "Hebt u dit zelf gedaan, dan hoeft u niets te doen.", "Two-step sign-in is on.");
    }

    [Fact]
    public void ReadReceipt_InGerman_HumanPart_WhileTheDispositionFieldsStayRfc()
    {
        var headers = new HeaderList { { "Subject", "Befund" }, { "Message-ID", "<m1@sender.test>" } };

        var mdn = new ReadReceiptComposer("sf.test", From, TimeProvider.System, Brand).Compose("alice@sender.test", "carol@plain.test", headers, new Reading(Now, "203.0.113.0/24", "Firefox", true), Words("de"));

        Assert.Equal("Gelesen: Befund", mdn.Subject);
        var report = Assert.IsType<MultipartReport>(mdn.Body);
        var human = ((TextPart)report[0]).Text;
        Assert.Contains("wurde am Sonntag, 6. Dezember 2026 08:30 UTC auf dem sicheren Portal geöffnet", human);
        Assert.Contains("Konto für diese Nachricht angelegt: ja", human);
        Assert.Contains("Example Health Ltd", human);
        Assert.Contains("Questions? Call +41 44 000 00 00", human);
        var fields = Assert.IsType<MessageDispositionNotification>(report[1]).Fields;
        Assert.Equal("automatic-action/MDN-sent-automatically; displayed", fields["Disposition"]);
        Assert.Equal("rfc822; carol@plain.test", fields["Final-Recipient"]);
    }

    [Fact]
    public void RevokeConfirmation_InSpanish()
    {
        var mail = new ReaderReportComposer("sf.test", From, TimeProvider.System, Brand).ComposeRevoked("alice@sender.test", "carol@plain.test", Guid.Empty, Now, Now, bySender: true, Words("es"));

        Assert.Equal("Revocado: su mensaje retenido para su recogida segura", mail.Subject);
        Assert.Contains("fue revocado por usted (el enlace de nuestro informe sobre él) el domingo, 6 de diciembre de 2026 8:30 UTC.", mail.TextBody);
        Assert.Contains("Example Health Ltd — entrega segura de mensajes", mail.TextBody);
    }

    [Fact]
    public void PortalReply_NamesTheAuthorViaTheSecurePortal_InTheSendersLanguage()
    {
        var original = new MimeMessage();
        original.From.Add(MailboxAddress.Parse("alice@sender.test"));
        original.Subject = "Befund";
        original.Body = new TextPart("plain") { Text = "Hallo" };

        var reply = PortalReplyComposer.Compose(original, new PortalReplyDraft(Guid.Empty, "carol@plain.test", PortalReplyMode.Sender, "Danke", []), From, Now, Words("de"));

        Assert.Equal("carol@plain.test über das sichere Portal", reply.From.Mailboxes.Single().Name);
    }

    private static MailWords Words(string language) => NoticeText.Language(language).Words;

    private static void AssertBothParts(MimeMessage mail, params string[] phrases)
    {
        foreach (var part in new[] { mail.TextBody, System.Net.WebUtility.HtmlDecode(mail.HtmlBody) })
        {
            Assert.All(phrases.Append("Example Health Ltd").Append("Questions? Call +41 44 000 00 00"), p => Assert.Contains(p, part));
        }
    }
}
