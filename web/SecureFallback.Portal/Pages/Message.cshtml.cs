using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;
using MimeKit;
using SecureFallback.Core;
using SecureFallback.Core.Messages;

namespace SecureFallback.Portal.Pages;

/// <summary>One held message, as sanitized HTML or encoded text; only ever the signed-in recipient's own.</summary>
public sealed class MessageModel(HeldMessages held, PickupPins pins, ShownMessageCache shownMessages, PortalReplies replies, ILogger<MessageModel> logger) : PageModel
{
    /// <summary>The copy was revoked: the page says by whom and when, and shows nothing of the message.</summary>
    public RevokedCopy? Revoked { get; private set; }

    /// <summary>The replies the recipient sent from this message, with their delivery state.</summary>
    public List<ReplySummary> Thread { get; private set; } = [];

    /// <summary>The reply form is shown (<c>Portal:Replies</c> is not <c>off</c>).</summary>
    public bool CanReply => replies.Mode != PortalReplyMode.Off;

    /// <summary>The reply may also go to the original To/Cc in the sender's domain.</summary>
    public bool RepliesToRecipients => replies.Mode == PortalReplyMode.SenderAndRecipients;

    public string ReplyLimit => ReplyUploads.SizeText(replies.MaxBytes);

    public string? ReplyError { get; private set; }

    /// <summary>The text of a reply that was refused, shown again so nothing typed is lost.</summary>
    public string? ReplyText { get; private set; }

    /// <summary>A reply was just queued (the redirect after the post says so).</summary>
    public bool ReplySent { get; private set; }

    /// <summary>The message waits for the sender's PIN: the page asks for it and shows nothing of the message.</summary>
    public bool NeedsPin { get; private set; }

    /// <summary>Five wrong PINs: the page says only to ask the sender for a new PIN.</summary>
    public bool PinLocked { get; private set; }

    public string? PinError { get; private set; }

    /// <summary>The stored copy failed its integrity check: nothing of it is shown, the page says so.</summary>
    public bool Damaged { get; private set; }

    /// <summary>What the page shows of the message (its HTML part after HtmlSanitizer, or its text).</summary>
    public ShownMessage Shown { get; private set; } = null!;

    public Guid Id { get; private set; }

    /// <summary>The held copy was delivered to the recipient's mailbox once TLS came back: the page says so, and when.</summary>
    public DateTimeOffset? DeliveredAt { get; private set; }

    public async Task<IActionResult> OnGetAsync(Guid id, bool replied, CancellationToken cancellationToken)
    {
        // Every check of this view (own grant, delivered, revoked, locked, PIN binding) comes from one query.
        var view = await held.ViewAsync(User.Identity!.Name!, id, cancellationToken);
        if (view?.DeliveredAt is { } deliveredAt)
        {
            (DeliveredAt, Id) = (deliveredAt, id);
            return Page();
        }

        if (view?.Revoked is { } revoked)
        {
            (Revoked, Id) = (revoked, id);
            shownMessages.Forget(revoked.MessageId);
            return Page();
        }

        if (view is { Live: { } grant, NeedsPin: true })
        {
            (NeedsPin, PinLocked, Id) = (true, grant.PinLockedFor(view.AccountStamp), id);
            return Page();
        }

        ReplySent = replied;
        return await ShowAsync(id, view, cancellationToken);
    }

    /// <summary>
    /// A reply to the sender, posted by the signed-in recipient from a message held for them (after its PIN, if it
    /// has one), with files by multipart upload; queued encrypted, then the page shows it in the thread.
    /// </summary>
    public async Task<IActionResult> OnPostReplyAsync(Guid id, string? text, CancellationToken cancellationToken)
    {
        var address = User.Identity!.Name!;
        var view = CanReply ? await held.ViewAsync(address, id, cancellationToken) : null;
        if (view?.Live is not { } grant)
        {
            return NotFound();
        }

        if (view.NeedsPin)
        {
            return Redirect($"/messages/{id}");
        }

        ReplyResult result;
        try
        {
            result = await replies.SendAsync(address, grant, text, Request.Form.Files, cancellationToken);
        }
        catch (Core.Intake.IntakeUnavailableException)
        {
            (ReplyError, ReplyText) = (this.Text("Reply.NotStored"), text);
            Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return await ShowAgainAsync(address, id, cancellationToken);
        }

        if (result == ReplyResult.Queued)
        {
            return Redirect($"/messages/{id}?replied=true#thread");
        }

        (ReplyError, Response.StatusCode) = result switch
        {
            ReplyResult.TooLarge => (this.Text("Reply.TooLarge", ReplyLimit), StatusCodes.Status413PayloadTooLarge),
            ReplyResult.TooMany => (this.Text("Reply.TooMany"), StatusCodes.Status429TooManyRequests),
            ReplyResult.NoSender => (this.Text("Reply.NoSender"), StatusCodes.Status422UnprocessableEntity),
            _ => (this.Text("Reply.Empty"), StatusCodes.Status400BadRequest),
        };
        ReplyText = text;
        return await ShowAgainAsync(address, id, cancellationToken);
    }

    /// <summary>
    /// The page again after a refused reply, from a fresh view query: storing the upload took a while, and a revoke,
    /// lock or purge committed meanwhile (by any instance) must hold before anything is shown from memory.
    /// </summary>
    private async Task<IActionResult> ShowAgainAsync(string address, Guid id, CancellationToken cancellationToken) =>
        await ShowAsync(id, await held.ViewAsync(address, id, cancellationToken), cancellationToken);

    private async Task<IActionResult> ShowAsync(Guid id, GrantView? view, CancellationToken cancellationToken)
    {
        if (view?.Live is not { } grant)
        {
            return NotFound(); // not theirs, or gone: reading would find nothing either
        }

        // From memory only once this request's view query checked the reader's access and found this very sealed
        // copy still stored (HeldMessages.ShowAsync): a revoked, expired, locked, delivered or shredded copy never is.
        var (shown, refusal) = await OpenAsync(id, view, (checkedView, reader) => held.ShowAsync(checkedView, reader, cancellationToken), cancellationToken);
        if (shown is null)
        {
            return refusal!;
        }

        (Shown, Id) = (shown, id);
        // The view query said whether there are replies to show: a recipient who never replied costs no thread query.
        Thread = view.HasReplies ? await replies.ThreadAsync(User.Identity!.Name!, grant.MessageId, cancellationToken) : [];
        return Page();
    }

    /// <summary>The sender's PIN, typed by the recipient: the right one opens the message for this account's credentials.</summary>
    public async Task<IActionResult> OnPostPinAsync(Guid id, string? pin, CancellationToken cancellationToken)
    {
        if (await held.ViewAsync(User.Identity!.Name!, id, cancellationToken) is not { Live: { } grant } view)
        {
            return NotFound();
        }

        var result = await pins.EnterAsync(grant, pin, view.AccountStamp, cancellationToken);
        if (result == PinResult.Opened)
        {
            return Redirect($"/messages/{id}");
        }

        (NeedsPin, PinLocked, Id) = (true, result == PinResult.Locked, id);
        PinError = result == PinResult.Wrong ? this.Text("Pin.Wrong") : null;
        return Page();
    }

    /// <summary>
    /// One attachment, always as a download (<c>Content-Disposition: attachment</c>) of type octet-stream, so a
    /// hostile HTML or SVG attachment is never rendered in the portal's origin.
    /// </summary>
    public async Task<IActionResult> OnGetAttachmentAsync(Guid id, int index, CancellationToken cancellationToken)
    {
        var (message, refusal) = await ReadAsync(id, cancellationToken);
        if (message is null)
        {
            return refusal!;
        }

        var attachment = message.Attachments.ElementAtOrDefault(index);
        if (attachment is null)
        {
            return NotFound();
        }

        return await StreamDownloadAsync("application/octet-stream", ShownMessage.FileNameOf(attachment, index), async body =>
        {
            if (attachment is MimePart part && part.Content is not null)
            {
                await part.Content.DecodeToAsync(body, cancellationToken);
            }
            else if (attachment is MessagePart attached && attached.Message is not null)
            {
                await attached.Message.WriteToAsync(body, cancellationToken);
            }
        });
    }

    /// <summary>The whole message as it was received, for the recipient's own mail program.</summary>
    public async Task<IActionResult> OnGetEmlAsync(Guid id, CancellationToken cancellationToken)
    {
        var (message, refusal) = await ReadAsync(id, cancellationToken);
        if (message is null)
        {
            return refusal!;
        }

        return await StreamDownloadAsync("message/rfc822", "message.eml", body => message.WriteToAsync(body, cancellationToken));
    }

    /// <summary>
    /// The signed-in recipient's message, or why not: 404 when it is not theirs, gone, or locked ("this was not me":
    /// the account is locked too, so only a session that should be dead could ask), the PIN page (by redirect) while
    /// it waits for the sender's PIN, the damage page.
    /// </summary>
    private async Task<(T? Value, IActionResult? Refusal)> OpenAsync<T>(Guid id, GrantView? view, Func<GrantView, Reader, Task<T?>> read, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            view ??= await held.ViewAsync(User.Identity!.Name!, id, cancellationToken);
            var value = view is null ? null : await read(view, Reader.Of(HttpContext));
            if (value is null && view is { NeedsPin: true })
            {
                return (null, Redirect($"/messages/{id}"));
            }

            return value is null ? (null, NotFound()) : (value, null);
        }
        catch (ContentTamperedException ex)
        {
            PortalLog.ContentDamaged(logger, id, ex);
            (Damaged, Id) = (true, id);
            Response.StatusCode = StatusCodes.Status500InternalServerError;
            return (null, Page());
        }
    }

    /// <summary>The stored copy itself, for a download (read and verified as it is sent), or why not.</summary>
    private Task<(MimeMessage? Message, IActionResult? Refusal)> ReadAsync(Guid id, CancellationToken cancellationToken) =>
        OpenAsync(id, null, (view, reader) => held.ReadAsync(view, reader, cancellationToken), cancellationToken);

    /// <summary>
    /// Writes a download straight into the response, decoding from the decrypting stream as it goes: a 25 MB
    /// attachment passes through small buffers instead of being built up in memory first.
    /// </summary>
    private async Task<IActionResult> StreamDownloadAsync(string contentType, string fileName, Func<Stream, Task> write)
    {
        var disposition = new ContentDispositionHeaderValue("attachment");
        disposition.SetHttpFileName(fileName);
        Response.ContentType = contentType;
        Response.Headers.ContentDisposition = disposition.ToString();
        Response.Headers.CacheControl = "no-store";
        await write(Response.Body);
        return new EmptyResult();
    }
}
