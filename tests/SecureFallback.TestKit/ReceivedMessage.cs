namespace SecureFallback.TestKit;

/// <summary>A message a test receiver accepted, with how it arrived.</summary>
public sealed record ReceivedMessage(string From, IReadOnlyList<string> To, byte[] Content, bool OverTls, bool RequireTls = false)
{
    public string Text => System.Text.Encoding.UTF8.GetString(Content);

    public MimeKit.MimeMessage Parse() => MimeKit.MimeMessage.Load(new MemoryStream(Content));
}
