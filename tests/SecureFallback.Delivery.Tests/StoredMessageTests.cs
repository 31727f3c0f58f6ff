using System.Text;
using MimeKit;
using SecureFallback.Delivery.Transport;

namespace SecureFallback.Delivery.Tests;

public sealed class StoredMessageTests
{
    private static readonly FormatOptions Wire = new() { NewLineFormat = NewLineFormat.Dos, EnsureNewLine = true };

    [Theory]
    [InlineData("Subject: a\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b  \r\n\r\nx\r\n--b--\r\n")]
    [InlineData("Subject: a\r\nX-Folded: one\r\n\ttwo \r\n\r\nlast line without CRLF")]
    [InlineData("Subject: only header fields\r\n\r\n")]
    public void SevenBitContent_IsWrittenExactlyAsStored(string stored)
    {
        var content = Encoding.ASCII.GetBytes(stored);

        using var message = StoredMessage.TryAsStored(content);

        Assert.NotNull(message);
        using var written = new MemoryStream();
        message.WriteTo(Wire, written);
        var expected = stored.EndsWith("\r\n", StringComparison.Ordinal) ? stored : stored + "\r\n";
        Assert.Equal(expected, Encoding.ASCII.GetString(written.ToArray()));
        Assert.NotNull(message.Subject); // the header fields are there for the policy rules
    }

    [Theory]
    [InlineData("Subject: eight bit\r\n\r\nGr\u00fc\u00dfe\r\n")] // 8BITMIME is MIME's to decide
    [InlineData("Subject: a\r\n\r\nbare\nLF\r\n")]
    [InlineData("Subject: a\r\n\r\nbare\rCR\r\n")]
    [InlineData("\r\nno header fields\r\n")]
    [InlineData("Subject: no empty line\r\n")]
    public void ContentThatMayNeedRewriting_TakesTheMimePath(string stored)
    {
        Assert.Null(StoredMessage.TryAsStored(Encoding.UTF8.GetBytes(stored)));
    }

    [Fact]
    public void ALineOver998Octets_TakesTheMimePath()
    {
        Assert.Null(StoredMessage.TryAsStored(Encoding.ASCII.GetBytes("Subject: a\r\n\r\n" + new string('x', 999) + "\r\n")));
        Assert.NotNull(StoredMessage.TryAsStored(Encoding.ASCII.GetBytes("Subject: a\r\n\r\n" + new string('x', 998) + "\r\n")));
    }

    [Fact]
    public async Task ContentCutAtAChunkBoundary_IsRefusedAsTampered_BeforeAnythingIsSent()
    {
        var keys = Directory.CreateTempSubdirectory("securefallback-keys-");
        try
        {
            var protector = new SecureFallback.Protection.ChunkedAesGcmProtector(SecureFallback.Protection.MasterKeyRing.LoadOrCreate(keys.FullName));
            var stored = "Subject: cut\r\n\r\n" + string.Concat(Enumerable.Repeat(new string('x', 70) + "\r\n", 2000)); // two chunks and more
            var content = protector.Seal(Guid.NewGuid(), Encoding.ASCII.GetBytes(stored));
            // Whole genuine chunks up to the cut, then a piece of the next: the stream reports only the whole chunks.
            content.Ciphertext = content.Ciphertext[..(1 + (64 * 1024) + 16 + 16)];

            await using var stream = protector.OpenRead(content);

            await Assert.ThrowsAsync<SecureFallback.Core.Messages.ContentTamperedException>(() => StoredMessage.LoadAsync(stream, CancellationToken.None));
        }
        finally
        {
            keys.Delete(recursive: true);
        }
    }

    [Fact]
    public void PolicyRules_SeeTheSameContentFields_WhetherTheMessageGoesAsStoredOrThroughMime()
    {
        var seven = Encoding.ASCII.GetBytes("Subject: a\r\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data\r\n\r\nMIAGCSqG\r\n");
        var eight = Encoding.UTF8.GetBytes("Subject: a\r\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data\r\n\r\nGr\u00fc\u00dfe\r\n");
        using var stored = StoredMessage.TryAsStored(seven);
        using var parsed = MimeMessage.Load(new MemoryStream(eight));

        string? ContentTypeSeenBy(MimeMessage message) =>
            new Queue.LoadedMessage(message, null, "alice@sender.test", SecureFallback.Core.Messages.MessageKind.Submitted, null).TlsRequest("b.test").Facts.Header("Content-Type");

        Assert.NotNull(stored);
        Assert.Contains("pkcs7-mime", ContentTypeSeenBy(stored));
        Assert.Contains("pkcs7-mime", ContentTypeSeenBy(parsed));
    }
}
