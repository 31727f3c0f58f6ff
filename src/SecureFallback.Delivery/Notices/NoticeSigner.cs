using Microsoft.Extensions.Options;
using MimeKit;
using MimeKit.Cryptography;

namespace SecureFallback.Delivery.Notices;

/// <summary>
/// DKIM-signs the mail SecureFallback writes (pickup notices, DSNs) with MimeKit's <see cref="DkimSigner"/> when
/// <c>Notices:DkimKeyPath</c> is set, so receivers can tell a real notice from a phishing copy.
/// </summary>
internal sealed class NoticeSigner
{
    // Reply-To routes the sender's answer to a portal reply, so it is signed like From; From, Reply-To and Subject are
    // listed twice ("oversigned", RFC 6376 8.15): the second, absent instance stops a relay after our TLS hop from
    // adding a copy that a mail client would show instead of the signed one.
    private static readonly HeaderId[] SignedHeaders =
    [
        HeaderId.From, HeaderId.From, HeaderId.ReplyTo, HeaderId.ReplyTo, HeaderId.Subject, HeaderId.Subject,
        HeaderId.To, HeaderId.Cc, HeaderId.Date, HeaderId.MessageId, HeaderId.InReplyTo, HeaderId.References, HeaderId.ContentType,
    ];

    private readonly DkimSigner? _signer;

    public NoticeSigner(IOptions<NoticeOptions> options)
    {
        var settings = options.Value;
        if (settings.DkimKeyPath is { } keyPath)
        {
            var domain = settings.DkimDomain ?? MailboxAddress.Parse(settings.From).Domain;
            _signer = new DkimSigner(keyPath, domain, settings.DkimSelector!, DkimSignatureAlgorithm.RsaSha256)
            {
                HeaderCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
                BodyCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
            };
        }
    }

    /// <summary>Makes <paramref name="message"/> 7-bit clean, then signs it when a key is configured.</summary>
    public void Sign(MimeMessage message)
    {
        // Fix the transfer encodings first, signed or not: our mail speaks five languages and must reach a receiver
        // without 8BITMIME intact, and a relay that re-encodes 8bit parts would break the body hash.
        message.Prepare(EncodingConstraint.SevenBit);
        _signer?.Sign(message, SignedHeaders);
    }
}
