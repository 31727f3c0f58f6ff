namespace SecureFallback.Core.Policies;

/// <summary>
/// An ordered rule on the message (subject keyword, a header, sender, recipient domain): when every condition that is
/// set matches, it forces secure pickup or a TLS level. The first matching rule wins.
/// </summary>
public sealed class ContentRule
{
    public int Id { get; set; }

    /// <summary>Evaluation order, lowest first.</summary>
    public int Position { get; set; }

    /// <summary>Case-insensitive substring of the Subject, e.g. <c>[secure]</c>.</summary>
    public string? SubjectContains { get; set; }

    /// <summary>A header that must be present (with <see cref="HeaderContains"/>, must contain that text).</summary>
    public string? HeaderName { get; set; }

    public string? HeaderContains { get; set; }

    /// <summary>Envelope sender address, exact (case-insensitive).</summary>
    public string? SenderAddress { get; set; }

    /// <summary>Recipient domain: exact, or <c>*.example.com</c> for every domain below it.</summary>
    public string? RecipientDomain { get; set; }

    /// <summary>
    /// <c>pickup</c>, <c>pickup-with-pin</c> (pickup, and the sender's PIN at the first opening), or a level name
    /// (<c>encrypt</c>, <c>verify</c>, <c>secure</c>, <c>dane-only</c>).
    /// </summary>
    public string Action { get; set; } = "pickup";

    public string Source { get; set; } = "settings";

    /// <summary>A short description for the audit trail and console.</summary>
    public string Describe()
    {
        var conditions = new List<string>();
        if (!string.IsNullOrEmpty(SubjectContains))
        {
            conditions.Add($"subject contains {SubjectContains}");
        }

        if (!string.IsNullOrEmpty(HeaderName))
        {
            conditions.Add(string.IsNullOrEmpty(HeaderContains) ? $"header {HeaderName}" : $"header {HeaderName} contains {HeaderContains}");
        }

        if (!string.IsNullOrEmpty(SenderAddress))
        {
            conditions.Add($"sender {SenderAddress}");
        }

        if (!string.IsNullOrEmpty(RecipientDomain))
        {
            conditions.Add($"recipient domain {RecipientDomain}");
        }

        return $"rule {Position} ({string.Join(", ", conditions)} → {Action})";
    }
}
