using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SecureFallback.Protection;

/// <summary>
/// How each master key is sealed before a <see cref="KeyRingStore"/> keeps it, and opened again
/// (<c>SecureFallback:Protection:KeyProvider</c>).
/// </summary>
public abstract class MasterKeySealing
{
    /// <summary>The bytes to write for a new master key.</summary>
    public abstract byte[] Seal(byte[] key);

    /// <summary>The master key in a key file, and whether the file should be rewritten in this provider's form.</summary>
    /// <exception cref="KeyRingUnavailableException">The file cannot be opened by this provider.</exception>
    public abstract (byte[] Key, bool Reseal) Open(byte[] stored, string path);

    protected static KeyRingUnavailableException WrongSize(string path, int length) => new(
        $"Master key file '{path}' has {length} bytes, expected {MasterKeyRing.KeySize}. Restore it from backup; it cannot be regenerated.");
}

/// <summary>
/// Provider <c>File</c> (default): the 32 key bytes as they are, in files only the service user may read (0600).
/// Protects against other local users; someone with a copy of the whole data directory can read the mail.
/// </summary>
public sealed class PlainKeySealing : MasterKeySealing
{
    public override byte[] Seal(byte[] key) => (byte[])key.Clone();

    public override (byte[] Key, bool Reseal) Open(byte[] stored, string path) =>
        stored.Length == MasterKeyRing.KeySize ? (stored, false) : throw WrongSize(path, stored.Length);
}

/// <summary>
/// Provider <c>Certificate</c>: each master key is encrypted (RSA-OAEP-SHA256) to an X.509 certificate whose private
/// key lives outside the data directory (a PKCS#12 file elsewhere, or the certificate store). A stolen copy of
/// <c>data/</c> alone is then useless. Plain key files from the <c>File</c> provider are sealed on first load.
/// </summary>
public sealed class CertificateKeySealing : MasterKeySealing, IDisposable
{
    private static readonly byte[] Magic = "SFMK1"u8.ToArray();
    private const int ThumbprintSize = 32;
    private readonly X509Certificate2 _certificate;
    private readonly byte[] _thumbprint;

    public CertificateKeySealing(X509Certificate2 certificate)
    {
        if (certificate.GetRSAPrivateKey() is not { } rsa)
        {
            throw new KeyRingUnavailableException($"Certificate '{certificate.Subject}' has no RSA private key; the key provider 'Certificate' needs one.");
        }

        rsa.Dispose();
        _certificate = certificate;
        _thumbprint = certificate.GetCertHash(HashAlgorithmName.SHA256);
    }

    public override byte[] Seal(byte[] key)
    {
        using var rsa = _certificate.GetRSAPublicKey()!;
        var encrypted = rsa.Encrypt(key, RSAEncryptionPadding.OaepSHA256);
        return [.. Magic, .. _thumbprint, .. encrypted];
    }

    public override (byte[] Key, bool Reseal) Open(byte[] stored, string path)
    {
        if (!stored.AsSpan().StartsWith(Magic))
        {
            // A key from the File provider: accepted once, then written back sealed.
            return stored.Length == MasterKeyRing.KeySize ? (stored, true) : throw WrongSize(path, stored.Length);
        }

        var thumbprint = stored.AsSpan(Magic.Length, Math.Min(ThumbprintSize, stored.Length - Magic.Length));
        if (!thumbprint.SequenceEqual(_thumbprint))
        {
            throw new KeyRingUnavailableException(
                $"Master key file '{path}' was sealed with another certificate (SHA-256 {Convert.ToHexString(thumbprint)}); the configured one is {Convert.ToHexString(_thumbprint)}.");
        }

        try
        {
            using var rsa = _certificate.GetRSAPrivateKey()!;
            var key = rsa.Decrypt(stored.AsSpan(Magic.Length + ThumbprintSize).ToArray(), RSAEncryptionPadding.OaepSHA256);
            return key.Length == MasterKeyRing.KeySize ? (key, false) : throw WrongSize(path, key.Length);
        }
        catch (CryptographicException ex)
        {
            throw new KeyRingUnavailableException($"Master key file '{path}' cannot be decrypted with the configured certificate: {ex.Message}");
        }
    }

    /// <summary>The certificate (with its private key), for sealing other secrets the same way.</summary>
    public X509Certificate2 Certificate => _certificate;

    public void Dispose() => _certificate.Dispose();
}

/// <summary>
/// Provider <c>File</c> when the ring is in a shared database: each master key is encrypted (AES-256-GCM) under a
/// key-encryption key kept in a file beside each instance (<c>keys/kek.key</c>, 0600), never in the database. A
/// copy of the database alone opens nothing; every instance needs the same file.
/// </summary>
public sealed class KeyEncryptionKeySealing : MasterKeySealing
{
    private static readonly byte[] Magic = "SFMW1"u8.ToArray();
    private static readonly byte[] Purpose = "SecureFallback master key"u8.ToArray();
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly Lazy<byte[]> _keyEncryptionKey;

    /// <param name="path">The key-encryption key file.</param>
    /// <param name="ringIsNew">Asked when the file is missing: only a new ring may get a new key-encryption key.</param>
    public KeyEncryptionKeySealing(string path, Func<bool> ringIsNew) =>
        _keyEncryptionKey = new Lazy<byte[]>(() => Load(path, ringIsNew));

    private static byte[] Load(string path, Func<bool> ringIsNew)
    {
        if (!File.Exists(path))
        {
            if (!ringIsNew())
            {
                throw new KeyRingUnavailableException(
                    $"The shared key ring in the database is sealed with a key-encryption key this instance does not have: copy {Path.GetFileName(path)} " +
                    $"from the instance that started first (its key folder) to {path}, mode 0600.");
            }

            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            try
            {
                SecretFile.Write(path, RandomNumberGenerator.GetBytes(MasterKeyRing.KeySize), replace: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                // Created by an instance sharing this folder at the same moment: use theirs.
            }
        }

        var key = File.ReadAllBytes(path);
        return key.Length == MasterKeyRing.KeySize
            ? key
            : throw new KeyRingUnavailableException($"The key-encryption key {path} has {key.Length} bytes, expected {MasterKeyRing.KeySize}.");
    }

    public override byte[] Seal(byte[] key)
    {
        var sealedKey = new byte[Magic.Length + NonceSize + key.Length + TagSize];
        Magic.CopyTo(sealedKey, 0);
        var nonce = sealedKey.AsSpan(Magic.Length, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_keyEncryptionKey.Value, TagSize);
        aes.Encrypt(nonce, key, sealedKey.AsSpan(Magic.Length + NonceSize, key.Length), sealedKey.AsSpan(sealedKey.Length - TagSize), Purpose);
        return sealedKey;
    }

    public override (byte[] Key, bool Reseal) Open(byte[] stored, string path)
    {
        if (stored.Length != Magic.Length + NonceSize + MasterKeyRing.KeySize + TagSize || !stored.AsSpan().StartsWith(Magic))
        {
            throw new KeyRingUnavailableException($"Master key '{path}' is not sealed with a key-encryption key (wrong format or size).");
        }

        var key = new byte[MasterKeyRing.KeySize];
        try
        {
            using var aes = new AesGcm(_keyEncryptionKey.Value, TagSize);
            aes.Decrypt(stored.AsSpan(Magic.Length, NonceSize), stored.AsSpan(Magic.Length + NonceSize, key.Length), stored.AsSpan(stored.Length - TagSize), key, Purpose);
            return (key, false);
        }
        catch (AuthenticationTagMismatchException)
        {
            throw new KeyRingUnavailableException(
                $"Master key '{path}' does not open with this instance's key-encryption key: copy kek.key from the instance that created the ring.");
        }
    }
}
