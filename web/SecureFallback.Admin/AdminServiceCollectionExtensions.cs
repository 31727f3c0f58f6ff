using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace SecureFallback.Admin;

/// <summary>The admin console: Razor Pages under <c>/admin</c>, for accounts in the Identity role <c>Admin</c> only.</summary>
public static class AdminServiceCollectionExtensions
{
    public const string Role = "Admin";
    public const string Policy = "Admin";

    public static IServiceCollection AddSecureFallbackAdmin(this IServiceCollection services)
    {
        services.AddRazorPages(options => options.Conventions.AuthorizeFolder("/Admin", Policy))
            .AddApplicationPart(typeof(AdminServiceCollectionExtensions).Assembly);
        services.AddAuthorizationBuilder().AddPolicy(Policy, policy => policy.RequireRole(Role));
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
