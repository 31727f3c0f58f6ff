using MimeKit;

namespace SecureFallback.Delivery.Tests;

public sealed class EnvelopeMailboxTests
{
    [Theory]
    [InlineData("john@x.test", "john@x.test")]
    [InlineData("\"john smith\"@x.test", "\"john smith\"@x.test")]
    [InlineData("\"a\\\"b\"@x.test", "\"a\\\"b\"@x.test")]
    [InlineData("\"a\\\\b\"@x.test", "\"a\\\\b\"@x.test")]
    [InlineData("\"Back\\\\slash \\\"Quote\\\" @ Comma,\"@X.test", "\"Back\\\\slash \\\"Quote\\\" @ Comma,\"@X.test")]
    [InlineData("\"john.smith\"@x.test", "john.smith@x.test")] // the same mailbox, written as a dot-string
    [InlineData("jurgen@XN--Bcher-kva.test", "jurgen@xn--bcher-kva.test")]
    [InlineData("jürgen@xn--bcher-kva.test", "jürgen@xn--bcher-kva.test")]
    public void StoredAddress_BecomesTheMailboxMailKitWritesInRcpt(string stored, string rcpt)
    {
        Assert.True(EnvelopeMailbox.TryCreate(stored, out var mailbox));
        Assert.Equal(rcpt, mailbox.GetAddress(idnEncode: true), ignoreCase: rcpt.Contains("xn--", StringComparison.Ordinal));
        Assert.True(EnvelopeMailbox.TryCreate(mailbox.GetAddress(idnEncode: true), out var again)); // round-trips
        Assert.Equal(mailbox.GetAddress(true), again.GetAddress(true));
    }

    [Fact]
    public void EveryPrintableAsciiCharacter_InAQuotedLocalPart_RoundTripsThroughMimeKit()
    {
        foreach (var c in Enumerable.Range(' ', '~' - ' ' + 1).Select(i => (char)i))
        {
            Assert.True(Core.Messages.MailboxSyntax.TryFormat($"a{c}b c", "x.test", out var stored));
            Assert.True(EnvelopeMailbox.TryCreate(stored, out var mailbox), $"'{c}': {stored}");
            Assert.Equal(stored, mailbox.GetAddress(true));
        }
    }

    [Theory]
    [InlineData("john smith@x.test")]
    [InlineData("a\"b@x.test")]
    [InlineData("")]
    public void AddressWithoutAnRfc5321Form_MakesNoMailbox(string stored)
    {
        Assert.False(EnvelopeMailbox.TryCreate(stored, out _));
        Assert.Throws<FormatException>(() => EnvelopeMailbox.Create(stored));
    }
}
