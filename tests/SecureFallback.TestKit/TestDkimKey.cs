using System.Security.Cryptography;
using MimeKit;
using MimeKit.Cryptography;

namespace SecureFallback.TestKit;

/// <summary>
/// An RSA key for <c>Notices:DkimKeyPath</c>, written as PEM into its own folder, and a verifier that finds its public
/// key record (<c>v=DKIM1; k=rsa; p=…</c>) without DNS.
/// </summary>
public sealed class TestDkimKey : IDisposable
{
    private readonly RSA _rsa = RSA.Create(2048);

    public TestDkimKey()
    {
        KeyPath = Path.Combine(SecureFallbackInstance.NewDataDirectory(), "dkim.pem");
        File.WriteAllText(KeyPath, new string(PemEncoding.Write("RSA PRIVATE KEY", _rsa.ExportRSAPrivateKey())));
    }

    /// <summary>The private key's PEM file.</summary>
    public string KeyPath { get; }

    /// <summary>Whether <paramref name="message"/>'s DKIM signature <paramref name="signature"/> verifies with this key.</summary>
    public Task<bool> VerifiesAsync(MimeMessage message, Header signature) =>
        new DkimVerifier(new FixedKeyLocator($"v=DKIM1; k=rsa; p={Convert.ToBase64String(_rsa.ExportSubjectPublicKeyInfo())}")).VerifyAsync(message, signature);

    public void Dispose() => _rsa.Dispose();

    private sealed class FixedKeyLocator(string txt) : DkimPublicKeyLocatorBase
    {
        public override Org.BouncyCastle.Crypto.AsymmetricKeyParameter LocatePublicKey(string methods, string domain, string selector, CancellationToken cancellationToken = default) =>
            GetPublicKey(txt);

        public override Task<Org.BouncyCastle.Crypto.AsymmetricKeyParameter> LocatePublicKeyAsync(string methods, string domain, string selector, CancellationToken cancellationToken = default) =>
            Task.FromResult(GetPublicKey(txt));
    }
}
