namespace SecureFallback.Protection;

/// <summary>Settings under <c>SecureFallback:Protection</c>.</summary>
public sealed class ProtectionOptions
{
    public const string SectionName = "SecureFallback:Protection";

    /// <summary>
    /// Folder of the master key ring. Relative paths are under <c>SecureFallback:DataDirectory</c>; default <c>keys</c>.
    /// </summary>
    public string KeyDirectory { get; set; } = "keys";
}
