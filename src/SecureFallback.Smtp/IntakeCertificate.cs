using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SecureFallback.Smtp;

/// <summary>Loads the STARTTLS certificate from settings, or generates a self-signed one once under the data directory.</summary>
internal static class IntakeCertificate
{
    public static X509Certificate2 Load(IntakeOptions options, string generatedPath, string serverName, TimeProvider timeProvider, out bool generated)
    {
        generated = false;
        if (options.CertificatePath is { } path)
        {
            return IsPem(path)
                ? LoadPem(path, options.CertificateKeyPath ?? path)
                : X509CertificateLoader.LoadPkcs12FromFile(path, options.CertificatePassword);
        }

        if (!File.Exists(generatedPath))
        {
            WriteSelfSigned(generatedPath, serverName, timeProvider.GetUtcNow());
            generated = true;
        }

        return X509CertificateLoader.LoadPkcs12FromFile(generatedPath, password: null);
    }

    private static bool IsPem(string path) =>
        path.EndsWith(".pem", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".crt", StringComparison.OrdinalIgnoreCase);

    private static X509Certificate2 LoadPem(string certificatePath, string keyPath)
    {
        // Re-import as PKCS#12 so SslStream on Linux gets a certificate with a usable private key.
        using var pem = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), password: null);
    }

    private static void WriteSelfSigned(string path, string serverName, DateTimeOffset now)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={serverName}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(serverName);
        if (!string.Equals(serverName, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            names.AddDnsName("localhost");
        }

        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));

        using var certificate = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(5));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var stream = new FileStream(path, options);
        stream.Write(certificate.Export(X509ContentType.Pkcs12));
    }
}
