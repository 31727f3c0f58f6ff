using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;
using SecureFallback.Core;

namespace SecureFallback.Portal;

/// <summary>
/// Request limits for the reply form alone (<c>POST /messages/{id}?handler=reply</c>): the body may be as large as
/// <c>Portal:ReplyMaxBytes</c> plus the form's own overhead, a larger announced body gets a 413 page at once, and the
/// uploaded files are buffered in memory only, never in a temporary file in clear (the reply is sealed when queued).
/// Every other request keeps the server's default limits.
/// </summary>
internal static class ReplyUploads
{
    /// <summary>Room for the form's boundaries, headers, the text field and the anti-forgery token.</summary>
    private const long FormOverhead = 256 * 1024;

    /// <summary>
    /// Replies being received at once, each buffered in memory (and copied while composed and sealed): a few is
    /// plenty for people typing replies, and the bound keeps many signed-in clients from exhausting memory.
    /// </summary>
    internal const int MaxConcurrentReplies = 4;

    private static readonly SemaphoreSlim ReplySlots = new(MaxConcurrentReplies);

    public static async Task ApplyLimitsAsync(HttpContext context, Func<Task> next)
    {
        // Signed in only: anyone else keeps the default limits and is sent to sign in before the form is read.
        if (!IsReplyPost(context.Request) || context.User.Identity?.IsAuthenticated != true)
        {
            await next();
            return;
        }

        if (!await ReplySlots.WaitAsync(TimeSpan.FromSeconds(10), context.RequestAborted))
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.RetryAfter = "30";
            return;
        }

        try
        {
            await ApplyLimitsToReplyAsync(context, next);
        }
        finally
        {
            ReplySlots.Release();
        }
    }

    private static async Task ApplyLimitsToReplyAsync(HttpContext context, Func<Task> next)
    {

        var maxBytes = context.RequestServices.GetRequiredService<IOptions<PortalOptions>>().Value.ReplyMaxBytes;
        var limit = maxBytes + FormOverhead;
        if (context.Request.ContentLength > limit)
        {
            await WriteTooLargeAsync(context, maxBytes);
            return;
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize)
        {
            bodySize.MaxRequestBodySize = limit;
        }

        context.Features.Set<IFormFeature>(new FormFeature(context.Request, new FormOptions
        {
            MemoryBufferThreshold = (int)Math.Min(limit, int.MaxValue),
            BufferBodyLengthLimit = limit,
            MultipartBodyLengthLimit = limit,
            ValueLengthLimit = (int)Math.Min(limit, int.MaxValue),
        }));
        await next();
    }

    /// <summary>The 413 page: plain HTML with the portal's style sheet, no script (the portal's CSP).</summary>
    public static async Task WriteTooLargeAsync(HttpContext context, long maxBytes)
    {
        context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
        context.Response.ContentType = "text/html; charset=utf-8";
        var back = WebUtility.HtmlEncode(context.Request.Path.Value ?? "/inbox");
        var text = context.RequestServices.GetRequiredService<IStringLocalizer<PortalText>>();
        string T(string key, params object[] arguments) => WebUtility.HtmlEncode(text[key, arguments]);
        await context.Response.WriteAsync(
            $"<!DOCTYPE html><html lang=\"{CultureInfo.CurrentUICulture.TwoLetterISOLanguageName}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{T("Reply.TooLargeTitle")}</title>" +
            $"<link rel=\"stylesheet\" href=\"/portal.css\"></head><body><main><h1>{T("Reply.TooLargeTitle")}</h1>" +
            $"<p class=\"error\">{T("Reply.TooLargeText", SizeText(maxBytes))}</p><p><a href=\"{back}\">{T("Reply.BackToMessage")}</a></p></main></body></html>");
    }

    /// <summary>A size in words, as the reply form and its errors state it.</summary>
    public static string SizeText(long bytes) => bytes >= 1024 * 1024
        ? $"{bytes / (1024.0 * 1024):0.#} MB"
        : $"{bytes / 1024.0:0.#} KB";

    private static bool IsReplyPost(HttpRequest request) =>
        HttpMethods.IsPost(request.Method)
        && request.Path.StartsWithSegments("/messages", StringComparison.OrdinalIgnoreCase)
        && string.Equals(request.Query["handler"], "reply", StringComparison.OrdinalIgnoreCase);
}
