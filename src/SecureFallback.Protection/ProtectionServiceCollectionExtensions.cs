using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SecureFallback.Core;
using SecureFallback.Core.Messages;

namespace SecureFallback.Protection;

/// <summary>Registers encryption at rest.</summary>
public static class ProtectionServiceCollectionExtensions
{
    public static IServiceCollection AddSecureFallbackProtection(this IServiceCollection services)
    {
        services.AddOptions<ProtectionOptions>()
            .BindConfiguration(ProtectionOptions.SectionName)
            .Validate(
                o => o.KeyProvider is "File" or "Certificate",
                "SecureFallback:Protection:KeyProvider must be File or Certificate.")
            .Validate(
                o => o.KeyProvider != "Certificate" || !string.IsNullOrWhiteSpace(o.CertificatePath) || !string.IsNullOrWhiteSpace(o.CertificateThumbprint),
                "SecureFallback:Protection:KeyProvider=Certificate needs SecureFallback:Protection:CertificatePath (a .pfx) or SecureFallback:Protection:CertificateThumbprint.")
            .ValidateOnStart();
        // The server puts the ring in the database when instances share one (PostgreSQL); files are the default.
        services.TryAddSingleton<KeyRingStore>(sp => new FileKeyRingStore(KeyDirectory(sp)));
        services.AddSingleton(sp => CreateSealing(
            sp.GetRequiredService<IOptions<ProtectionOptions>>().Value,
            sp.GetRequiredService<IOptions<DataDirectoryOptions>>().Value,
            KeyDirectory(sp),
            sp.GetRequiredService<KeyRingStore>()));
        // Not created here: KeyRingStartupCheck first makes sure an empty ring is a first start, not lost keys.
        services.AddSingleton(sp => MasterKeyRing.Open(sp.GetRequiredService<KeyRingStore>(), sp.GetRequiredService<MasterKeySealing>()));
        services.AddSingleton<ChunkedAesGcmProtector>();
        services.AddSingleton<IContentProtector>(sp => sp.GetRequiredService<ChunkedAesGcmProtector>());
        services.AddOptions<KeyManagementOptions>().Configure<IContentProtector>((keys, protector) => keys.XmlEncryptor = new MasterKeyXmlEncryptor(protector));
        return services;
    }

    /// <summary>The key folder: the ring's files, or (ring in the database) the key-encryption key.</summary>
    public static string KeyDirectory(IServiceProvider services) =>
        services.GetRequiredService<IOptions<DataDirectoryOptions>>().Value.Resolve(services.GetRequiredService<IOptions<ProtectionOptions>>().Value.KeyDirectory);

    private static MasterKeySealing CreateSealing(ProtectionOptions options, DataDirectoryOptions dataDirectory, string keyDirectory, KeyRingStore store)
    {
        if (options.KeyProvider != "Certificate")
        {
            // Plain key bytes are for files only the service user can read; never for a database others can copy.
            return store is FileKeyRingStore
                ? new PlainKeySealing()
                : new KeyEncryptionKeySealing(Path.Combine(keyDirectory, "kek.key"), ringIsNew: () => store.ReadAll().Count == 0);
        }

        return new CertificateKeySealing(string.IsNullOrWhiteSpace(options.CertificateThumbprint)
            ? LoadFromFile(dataDirectory.Resolve(options.CertificatePath!), options.CertificatePassword)
            : LoadFromStore(options.CertificateThumbprint));
    }

    private static X509Certificate2 LoadFromFile(string path, string? password)
    {
        try
        {
            return X509CertificateLoader.LoadPkcs12FromFile(path, password, X509KeyStorageFlags.EphemeralKeySet);
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new KeyRingUnavailableException($"The key certificate '{path}' cannot be loaded: {ex.Message}");
        }
    }

    private static X509Certificate2 LoadFromStore(string thumbprint)
    {
        using var store = new X509Store(StoreName.My, StoreLocation.CurrentUser);
        store.Open(OpenFlags.ReadOnly);
        var found = store.Certificates.Find(X509FindType.FindByThumbprint, thumbprint.Replace(" ", "", StringComparison.Ordinal), validOnly: false);
        return found.Count > 0
            ? found[0]
            : throw new KeyRingUnavailableException($"No certificate with thumbprint {thumbprint} in the service user's My store.");
    }
}
