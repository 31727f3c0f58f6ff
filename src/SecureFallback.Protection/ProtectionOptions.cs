namespace SecureFallback.Protection;

/// <summary>Settings under <c>SecureFallback:Protection</c>.</summary>
public sealed class ProtectionOptions
{
    public const string SectionName = "SecureFallback:Protection";

    /// <summary>
    /// Folder of the master key ring. Relative paths are under <c>SecureFallback:DataDirectory</c>; default <c>keys</c>.
    /// </summary>
    public string KeyDirectory { get; set; } = "keys";

    /// <summary>
    /// How master keys are kept: <c>File</c> (default; the key bytes in 0600 files) or <c>Certificate</c> (each key
    /// encrypted to an X.509 certificate whose private key is kept elsewhere).
    /// </summary>
    public string KeyProvider { get; set; } = "File";

    /// <summary>For <c>Certificate</c>: a PKCS#12 (.pfx) file with the certificate and its RSA private key.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>Password of <see cref="CertificatePath"/>, if it has one (use an environment variable, not the file).</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>For <c>Certificate</c>, instead of a file: SHA-1 thumbprint of a certificate in the service user's "My" store.</summary>
    public string? CertificateThumbprint { get; set; }
}
