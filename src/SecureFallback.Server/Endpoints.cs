using System.Net;
using Microsoft.EntityFrameworkCore;
using SecureFallback.Admin;
using SecureFallback.Core;
using SecureFallback.Core.Messages;
using SecureFallback.Data;
using SecureFallback.Portal;
using SecureFallback.Smtp;

namespace SecureFallback.Server;

/// <summary>HTTP endpoints of the server itself (the portal adds its own).</summary>
internal static class Endpoints
{
    public static void MapSecureFallbackEndpoints(this WebApplication app, InstanceOptions instance)
    {
        if (instance.Has(InstanceRoles.Portal))
        {
            app.MapSecureFallbackPortal();
            app.MapSecureFallbackAdmin();
        }

        app.MapSecureFallbackTelemetry();
        // /healthz: the components are up (as before). /readyz: that, and the database answers right now.
        app.MapHealthChecks("/healthz", new Microsoft.AspNetCore.Diagnostics.HealthChecks.HealthCheckOptions { Predicate = check => !check.Tags.Contains("ready") });
        app.MapHealthChecks("/readyz");
        app.MapGet("/status", StatusPageAsync);
    }

    /// <summary>
    /// A plain status page for the admin: what runs where, and the queue at a glance. No message data, but queue
    /// figures are nobody else's business, so only clients on this machine get it (others get 404).
    /// </summary>
    private static async Task<IResult> StatusPageAsync(HttpContext http, SecureFallbackDbContext db, IntakeReadiness intake, Microsoft.Extensions.Options.IOptions<InstanceOptions> instance, CancellationToken cancellationToken)
    {
        if (http.Connection.RemoteIpAddress is not { } client || !IPAddress.IsLoopback(client))
        {
            return Results.NotFound();
        }

        var counts = await db.Recipients.GroupBy(r => r.Status).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(cancellationToken);
        int Count(RecipientStatus status) => counts.FirstOrDefault(c => c.Key == status)?.Count ?? 0;
        var endPoint = WebUtility.HtmlEncode(instance.Value.Has(InstanceRoles.Intake) ? intake.EndPoint?.ToString() ?? "starting" : "not on this instance");
        var html = $$"""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>SecureFallback</title>
            <meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">
            <link rel="stylesheet" href="/portal.css">
            </head><body><main>
            <h1>SecureFallback</h1>
            <p>Secure-delivery smart host. Mail goes out over TLS or not at all.</p>
            <table>
            <tr><td>SMTP intake</td><td>{{endPoint}}</td></tr>
            <tr><td>Queued recipients</td><td>{{Count(RecipientStatus.Queued)}}</td></tr>
            <tr><td>Delivered over TLS</td><td>{{Count(RecipientStatus.Delivered)}}</td></tr>
            <tr><td>Held for secure pickup</td><td>{{Count(RecipientStatus.HeldForPickup)}}</td></tr>
            <tr><td>Expired unread (sender notified)</td><td>{{Count(RecipientStatus.PickupExpired)}}</td></tr>
            <tr><td>Revoked by the sender or an admin</td><td>{{Count(RecipientStatus.Revoked)}}</td></tr>
            <tr><td>Not delivered (sender notified)</td><td>{{Count(RecipientStatus.Failed)}}</td></tr>
            </table>
            <p><a href="/healthz">Health</a></p>
            </main></body></html>
            """;
        return Results.Content(html, "text/html; charset=utf-8");
    }
}
