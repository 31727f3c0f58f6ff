using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MimeKit;
using SecureFallback.Core;
using SecureFallback.Core.Intake;
using SecureFallback.Core.Messages;
using SecureFallback.Core.Pickup;
using SecureFallback.Data;
using SecureFallback.Delivery.Notices;

namespace SecureFallback.Delivery.Outboxes;

/// <summary>
/// Queues the portal's account mail (codes, and second-step changes) like any notice: sealed, committed, then handed
/// to the delivery worker.
/// </summary>
internal sealed class AccountMailQueue(
    IServiceScopeFactory scopeFactory,
    IContentProtector protector,
    NoticeSigner signer,
    IDeliverySignal signal,
    IOptions<DeliveryOptions> deliveryOptions,
    IOptions<NoticeOptions> noticeOptions,
    IOptions<PortalOptions> portalOptions,
    MailBrand brand,
    NoticeLanguages languages,
    TimeProvider timeProvider,
    ILogger<AccountMailQueue> logger) : IAccountMail
{
    public async Task SendCodeAsync(string address, AccountMailPurpose purpose, string code, TimeSpan validFor, CancellationToken cancellationToken)
    {
        var portal = new Uri(portalOptions.Value.PublicUrl.TrimEnd('/') + "/");
        var words = languages.ForAddress(address).Words;
        var (from, helo) = (MailboxAddress.Parse(noticeOptions.Value.From), deliveryOptions.Value.HeloName);
        var now = timeProvider.GetUtcNow();
        var mail = purpose == AccountMailPurpose.SecondStepChanged
            ? new SecondStepMailComposer(brand, portal, from, helo).Compose(address, code, now, words) // "code": what changed
            : new AccountMailComposer(brand, portal, from, helo).Compose(address, purpose, code, validFor, now, words);

        await using var scope = scopeFactory.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
        var id = NoticeQueue.Enqueue(db, protector, signer, mail, address, MessageKind.AccountNotice, now);
        await db.SaveChangesAsync(cancellationToken);

        AccountMailLog.Queued(logger, id, purpose, address);
        signal.Notify();
    }
}

internal static partial class AccountMailLog
{
    // The code itself is never logged: it is a credential.
    [LoggerMessage(EventId = 4201, Level = LogLevel.Information, Message = "Queued account mail {MailId} ({Purpose}) to {Recipient}")]
    public static partial void Queued(ILogger logger, Guid mailId, AccountMailPurpose purpose, string recipient);
}
