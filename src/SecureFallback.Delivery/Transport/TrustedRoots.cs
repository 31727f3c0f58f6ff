using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;

namespace SecureFallback.Delivery.Transport;

/// <summary>The extra CA certificates from <c>Delivery:TrustedRoots</c>, loaded once.</summary>
internal sealed class TrustedRoots(IOptions<DeliveryOptions> options)
{
    private readonly Lazy<X509Certificate2Collection> _roots = new(() => Load(options.Value.TrustedRoots));

    public X509Certificate2Collection Certificates => _roots.Value;

    public static bool TryLoad(string path, out string problem)
    {
        try
        {
            var certificates = new X509Certificate2Collection();
            certificates.ImportFromPemFile(path);
            problem = certificates.Count == 0 ? "holds no PEM certificate" : "";
            return certificates.Count > 0;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
        {
            problem = ex.Message;
            return false;
        }
    }

    private static X509Certificate2Collection Load(IEnumerable<string> paths)
    {
        var all = new X509Certificate2Collection();
        foreach (var path in paths)
        {
            all.ImportFromPemFile(path);
        }

        return all;
    }
}
