using System.Net.Security;

namespace SecureFallback.Smtp.Net;

/// <summary>
/// The intake's cipher suites: forward-secret AEAD only (ECDHE with AES-GCM or ChaCha20-Poly1305, and TLS 1.3's
/// suites), so no CBC, SHA-1 MAC, RSA key exchange, 3DES or RC4 even where the system's OpenSSL still allows them.
/// </summary>
internal static class StrongCiphers
{
    /// <summary>Null where the platform does not let an application choose (Windows follows its own policy).</summary>
    public static CipherSuitesPolicy? Policy { get; } = OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()
        ? new CipherSuitesPolicy(
        [
            TlsCipherSuite.TLS_AES_256_GCM_SHA384,
            TlsCipherSuite.TLS_AES_128_GCM_SHA256,
            TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256,
            TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
            TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
            TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            TlsCipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        ])
        : null;
}
