using System.Text;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

/// <summary>
/// Addresses match in ASCII case only: a UTF-8 local part (SMTPUTF8) finds its grants on every provider, and letters
/// that Unicode case mapping would merge (<c>ı</c> and <c>i</c>) stay two mailboxes, two accounts.
/// </summary>
public sealed partial class PickupAddressTests
{
    [Fact]
    public async Task Utf8LocalPart_RegistersThroughItsLink_SignsInInEitherAsciiCase_AndReadsItsMessage()
    {
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var senderServer = await TlsSmtpReceiver.StartAsync("mx.sender.test");
        await using var server = await StartAsync(plain, senderServer);
        await SendUtf8Async(server, "JÜRGEN@plain.test", "For Juergen", "marker-juergen-body");

        var notice = await plain.WaitForMessageAsync();
        await RegisterThroughLinkAsync(server, TokenInLink().Match(notice.TextBody!).Groups[1].Value);

        await SignInAndReadAsync(server, "JÜRGEN@plain.test", "marker-juergen-body");
        await SignInAndReadAsync(server, "jÜrgen@plain.test", "marker-juergen-body"); // ASCII case differs: the same account
    }

    /// <summary>
    /// Beyond ASCII, case is part of the mailbox: two addresses that Unicode case mapping would merge are two accounts,
    /// so the reader of one mailbox can never take over the other's messages by registering first.
    /// </summary>
    [Theory]
    [InlineData("ımran@plain.test", "imran@plain.test")] // dotless i: Unicode upper-cases it to I (.NET's invariant casing does not)
    [InlineData("jürgen@plain.test", "JÜRGEN@plain.test")] // u-umlaut against U-umlaut
    public async Task AddressesThatDifferBeyondAsciiCase_AreTwoMailboxes_EachWithItsOwnAccountAndMessage(string first, string second)
    {
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var senderServer = await TlsSmtpReceiver.StartAsync("mx.sender.test");
        await using var server = await StartAsync(plain, senderServer);
        await SendUtf8Async(server, first, "For the first", "marker-first-body");
        var firstNotice = await plain.WaitForMessageAsync();
        await SendUtf8Async(server, second, "For the second", "marker-second-body");
        var secondNotice = (await plain.WaitForMessagesAsync(2)).Last().Parse();

        await RegisterThroughLinkAsync(server, TokenInLink().Match(firstNotice.TextBody!).Groups[1].Value);
        await RegisterThroughLinkAsync(server, TokenInLink().Match(secondNotice.TextBody!).Groups[1].Value);

        Assert.DoesNotContain("marker-second-body", await SignInAndReadAsync(server, first, "marker-first-body"));
        Assert.DoesNotContain("marker-first-body", await SignInAndReadAsync(server, second, "marker-second-body"));
    }

    private static Task<SecureFallbackInstance> StartAsync(ScriptedSmtpReceiver plain, TlsSmtpReceiver senderServer) =>
        SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Delivery:Routes:sender.test"] = senderServer.Route,
            ["SecureFallback:Delivery:Routes:plain.test"] = plain.Route,
        });

    /// <summary>Submits a message to a UTF-8 recipient with SMTPUTF8, as an internationalised mail server does.</summary>
    private static async Task SendUtf8Async(SecureFallbackInstance server, string recipient, string subject, string body)
    {
        await using var client = await RawSmtpClient.ConnectAsync(server.IntakePort);
        Assert.Contains("SMTPUTF8", await client.CommandAsync("EHLO client.test"));
        Assert.StartsWith("250", await client.CommandAsync("MAIL FROM:<alice@sender.test> SMTPUTF8"));
        Assert.StartsWith("250", await client.CommandAsync(Utf8($"RCPT TO:<{recipient}>")));
        Assert.StartsWith("354", await client.CommandAsync("DATA"));
        var message = $"From: alice@sender.test\r\nTo: {recipient}\r\nSubject: {subject}\r\nMIME-Version: 1.0\r\n"
            + $"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n.";
        Assert.StartsWith("250", await client.CommandAsync(Utf8(message)));
    }

    private static string Utf8(string text) => Encoding.Latin1.GetString(Encoding.UTF8.GetBytes(text));
}
