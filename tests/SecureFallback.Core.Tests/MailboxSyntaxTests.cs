using SecureFallback.Core.Messages;

namespace SecureFallback.Core.Tests;

public sealed class MailboxSyntaxTests
{
    [Theory]
    [InlineData("john", "x.test", "john@x.test")]
    [InlineData("John.Smith", "X.Test", "John.Smith@X.Test")] // case kept
    [InlineData("o'brien+tag", "x.test", "o'brien+tag@x.test")]
    [InlineData("john smith", "x.test", "\"john smith\"@x.test")]
    [InlineData("a\"b", "x.test", "\"a\\\"b\"@x.test")]
    [InlineData("a\\b", "x.test", "\"a\\\\b\"@x.test")]
    [InlineData("a@b,c", "x.test", "\"a@b,c\"@x.test")]
    [InlineData(".dot", "x.test", "\".dot\"@x.test")]
    [InlineData("a..b", "x.test", "\"a..b\"@x.test")]
    [InlineData("", "x.test", "\"\"@x.test")]
    [InlineData("jürgen", "bücher.test", "jürgen@xn--bcher-kva.test")]
    public void Format_QuotesExactlyWhatIsNoDotString_AndSplitReadsItBack(string localPart, string domain, string expected)
    {
        Assert.True(MailboxSyntax.TryFormat(localPart, domain, out var address));
        Assert.Equal(expected, address);

        Assert.True(MailboxSyntax.TrySplit(address, out var splitLocal, out var splitDomain));
        Assert.Equal(localPart, splitLocal);
        Assert.True(MailboxSyntax.TryFormat(splitLocal, splitDomain, out var again));
        Assert.Equal(address, again);
    }

    [Theory]
    [InlineData("a\nb")]
    [InlineData("tab\there")]
    [InlineData("del\u007f")]
    public void Format_RefusesControlCharacters(string localPart) =>
        Assert.False(MailboxSyntax.TryFormat(localPart, "x.test", out _));

    [Theory]
    [InlineData("john smith@x.test")] // what the intake stored before local parts were quoted
    [InlineData("\"unterminated@x.test")]
    [InlineData("\"a\"b@x.test")]
    [InlineData("\"a\\\"@x.test")]
    [InlineData("john@")]
    [InlineData("no-at-sign")]
    public void Split_RefusesWhatIsNoRfc5321Mailbox(string address) =>
        Assert.False(MailboxSyntax.TrySplit(address, out _, out _));
}
