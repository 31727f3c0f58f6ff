namespace SecureFallback.Bench;

/// <summary>The bench message's statement HTML, built once (the /page50 yardstick renders it as is).</summary>
internal static class StatementPage
{
    public static string Html { get; } = Statement.Build().Html;
}
