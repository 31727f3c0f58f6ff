using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using SecureFallback.Data;

namespace SecureFallback.Admin;

/// <summary>
/// The admin console: Razor Pages under <c>/admin</c>, for accounts in the Identity role <c>Admin</c> whose session
/// passed a second step (an authenticator code or a passkey).
/// </summary>
public static class AdminServiceCollectionExtensions
{
    public const string Role = PortalRoles.Admin;

    /// <summary>Where an admin without a second step in this session is sent (the portal's security page says why).</summary>
    public const string SecondStepPath = "/account/security?admin=1";
    public const string Policy = "Admin";

    public static IServiceCollection AddSecureFallbackAdmin(this IServiceCollection services)
    {
        services.AddRazorPages(options => options.Conventions.AuthorizeFolder("/Admin", Policy))
            .AddApplicationPart(typeof(AdminServiceCollectionExtensions).Assembly);
        services.AddAuthorizationBuilder().AddPolicy(Policy, policy => policy.RequireRole(Role).RequireClaim(SecondStepClaim.Type, SecondStepClaim.Value));
        services.ConfigureApplicationCookie(options =>
        {
            // An admin signed in with a password alone is not refused with a 403 but led to set up, or use, a second step.
            var denied = options.Events.OnRedirectToAccessDenied;
            options.Events.OnRedirectToAccessDenied = context =>
            {
                var user = context.HttpContext.User;
                if (user.IsInRole(Role) && !SecondStepClaim.IsIn(user))
                {
                    context.Response.Redirect(SecondStepPath);
                    return Task.CompletedTask;
                }

                return denied(context);
            };
        });
        services.AddScoped<AdminQueries>();
        return services;
    }

    public static WebApplication MapSecureFallbackAdmin(this WebApplication app)
    {
        app.MapGet("/admin/audit.csv", async (AdminQueries queries, int? days, HttpContext http, CancellationToken cancellationToken) =>
        {
            http.Response.ContentType = "text/csv; charset=utf-8";
            http.Response.Headers.ContentDisposition = "attachment; filename=securefallback-audit.csv";
            await using var writer = new StreamWriter(http.Response.Body, new System.Text.UTF8Encoding(false));
            await queries.WriteAuditCsvAsync(writer, TimeSpan.FromDays(Math.Clamp(days ?? 30, 1, 3650)), cancellationToken);
        }).RequireAuthorization(Policy);
        return app;
    }
}
