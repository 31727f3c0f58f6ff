using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using MimeKit;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.OpenSsl;
using SecureFallback.Delivery.Notices;

namespace SecureFallback.Delivery.Tests;

public sealed class NoticeSignerTests : IDisposable
{
    private readonly string _keyPath = Path.GetTempFileName();
    private readonly RSA _key = RSA.Create(2048);

    public NoticeSignerTests() => File.WriteAllText(_keyPath, _key.ExportRSAPrivateKeyPem());

    public void Dispose()
    {
        _key.Dispose();
        File.Delete(_keyPath);
    }

    [Fact]
    public void Sign_CoversReplyToAndCc_AndOversignsThem_SoARelayCanNeitherChangeNorAddThem()
    {
        var message = Reply();
        Signer().Sign(message);
        Assert.True(Verify(message));

        var tags = message.Headers[HeaderId.DkimSignature]!.Replace(" ", "").Replace("\t", "").Replace("\r\n", "");
        var signed = tags.Split(';').Single(t => t.StartsWith("h=", StringComparison.Ordinal))[2..].ToLowerInvariant().Split(':');
        Assert.Equal(2, signed.Count(h => h == "reply-to"));
        Assert.Contains("cc", signed);

        var added = Reply();
        Signer().Sign(added);
        added.Headers.Add(HeaderId.ReplyTo, "attacker@evil.test");
        Assert.False(Verify(added));

        var changed = Reply();
        Signer().Sign(changed);
        changed.Headers[HeaderId.ReplyTo] = "attacker@evil.test";
        Assert.False(Verify(changed));
    }

    private NoticeSigner Signer() => new(Options.Create(new NoticeOptions
    {
        From = "secure-reply@portal.test",
        DkimKeyPath = _keyPath,
        DkimSelector = "s1",
    }));

    private static MimeMessage Reply()
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("carol@partner.test via secure portal", "secure-reply@portal.test"));
        message.ReplyTo.Add(MailboxAddress.Parse("carol@partner.test"));
        message.To.Add(MailboxAddress.Parse("alice@sender.test"));
        message.Cc.Add(MailboxAddress.Parse("bob@sender.test"));
        message.Subject = "Re: Results";
        message.Body = new TextPart("plain") { Text = "Thank you." };
        return message;
    }

    private bool Verify(MimeMessage message)
    {
        var verifier = new DkimVerifier(new KeyLocator(_key));
        return verifier.Verify(message, message.Headers[message.Headers.IndexOf(HeaderId.DkimSignature)]);
    }

    private sealed class KeyLocator(RSA key) : DkimPublicKeyLocatorBase
    {
        public override AsymmetricKeyParameter LocatePublicKey(string methods, string domain, string selector, CancellationToken cancellationToken = default)
        {
            using var reader = new StringReader(key.ExportSubjectPublicKeyInfoPem());
            return (AsymmetricKeyParameter)new PemReader(reader).ReadObject();
        }

        public override Task<AsymmetricKeyParameter> LocatePublicKeyAsync(string methods, string domain, string selector, CancellationToken cancellationToken = default) =>
            Task.FromResult(LocatePublicKey(methods, domain, selector, cancellationToken));
    }
}
