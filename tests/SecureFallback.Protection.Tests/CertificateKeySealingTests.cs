using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SecureFallback.Protection.Tests;

public sealed class CertificateKeySealingTests : IDisposable
{
    private readonly string _keyDirectory = Directory.CreateTempSubdirectory("sf-keys-").FullName;

    private static X509Certificate2 NewCertificate(string name)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
    }

    [Fact]
    public void Ring_SealedToACertificate_KeepsNoUsableKeyOnDisk_AndReopensWithTheCertificate()
    {
        using var certificate = NewCertificate("sf-keys");
        var content = new ChunkedAesGcmProtector(MasterKeyRing.LoadOrCreate(_keyDirectory, new CertificateKeySealing(certificate))).Seal(Guid.NewGuid(), "held mail"u8);

        var file = File.ReadAllBytes(Path.Combine(_keyDirectory, "master-v1.key"));
        Assert.StartsWith("SFMK1", System.Text.Encoding.ASCII.GetString(file));
        Assert.Equal(5 + 32 + 256, file.Length);
        var reopened = new ChunkedAesGcmProtector(MasterKeyRing.LoadOrCreate(_keyDirectory, new CertificateKeySealing(certificate)));
        Assert.Equal("held mail"u8.ToArray(), reopened.Open(content));

        // Without the certificate the data directory alone opens nothing.
        var error = Assert.Throws<KeyRingUnavailableException>(() => MasterKeyRing.LoadOrCreate(_keyDirectory));
        Assert.Contains("master-v1.key", error.Message);
    }

    [Fact]
    public void Ring_SealedToOneCertificate_IsRefusedWithAnother_NamingBoth()
    {
        using var first = NewCertificate("first");
        using var second = NewCertificate("second");
        MasterKeyRing.LoadOrCreate(_keyDirectory, new CertificateKeySealing(first));

        var error = Assert.Throws<KeyRingUnavailableException>(() => MasterKeyRing.LoadOrCreate(_keyDirectory, new CertificateKeySealing(second)));
        Assert.Contains("another certificate", error.Message);
        Assert.Contains(Convert.ToHexString(second.GetCertHash(HashAlgorithmName.SHA256)), error.Message);
    }

    [Fact]
    public void PlainKeyFiles_AreSealedOnFirstLoadWithACertificate_AndOldContentStillOpens()
    {
        var content = new ChunkedAesGcmProtector(MasterKeyRing.LoadOrCreate(_keyDirectory)).Seal(Guid.NewGuid(), "older mail"u8);
        using var certificate = NewCertificate("sf-keys");

        var ring = MasterKeyRing.LoadOrCreate(_keyDirectory, new CertificateKeySealing(certificate));

        Assert.Equal("older mail"u8.ToArray(), new ChunkedAesGcmProtector(ring).Open(content));
        Assert.NotEqual(MasterKeyRing.KeySize, new FileInfo(Path.Combine(_keyDirectory, "master-v1.key")).Length);
        Assert.Empty(Directory.GetFiles(_keyDirectory, "*.tmp"));
    }

    [Fact]
    public void Certificate_WithoutPrivateKey_IsRefused()
    {
        using var certificate = NewCertificate("public-only");
        using var publicOnly = X509CertificateLoader.LoadCertificate(certificate.Export(X509ContentType.Cert));

        Assert.Throws<KeyRingUnavailableException>(() => new CertificateKeySealing(publicOnly));
    }

    public void Dispose() => Directory.Delete(_keyDirectory, recursive: true);
}
