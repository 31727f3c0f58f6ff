using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SecureFallback.Core;
using SecureFallback.Data;

namespace SecureFallback.Portal;

/// <summary>Registers and maps the recipient portal (Razor Pages, ASP.NET Core Identity).</summary>
public static class PortalServiceCollectionExtensions
{
    public static IServiceCollection AddSecureFallbackPortal(this IServiceCollection services)
    {
        services.AddRazorPages(options =>
            {
                options.Conventions.AuthorizePage("/Inbox");
                options.Conventions.AuthorizePage("/Message");
                options.Conventions.AuthorizePage("/Security");
                options.Conventions.AuthorizePage("/Passkeys");
            })
            // Named explicitly: part discovery starts from the entry assembly, which is not ours under a test host.
            .AddApplicationPart(typeof(PortalServiceCollectionExtensions).Assembly)
            .AddViewLocalization();
        PortalLanguages.Add(services);
        PortalBranding.Add(services);
        services.AddAuthentication(IdentityConstants.ApplicationScheme).AddIdentityCookies();
        services.AddIdentityCore<PortalUser>(ConfigureIdentity)
            .UseAddressLookups()
            .AddRoles<IdentityRole>() // "Admin" opens the admin console
            .AddEntityFrameworkStores<SecureFallbackDbContext>()
            .AddSignInManager()
            .AddUserValidator<AddressIsUserNameValidator>()
            .AddDefaultTokenProviders()
            .AddErrorDescriber<LocalizedIdentityErrors>()
            // Replaces Identity's authenticator under the same name: a TOTP code is accepted once only.
            .AddTokenProvider<SingleUseAuthenticatorTokenProvider>(TokenOptions.DefaultAuthenticatorProvider)
            .AddClaimsPrincipalFactory<PortalClaimsPrincipalFactory>();
        services.Replace(ServiceDescriptor.Scoped<ISecurityStampValidator, SessionStampValidator>());
        services.ConfigureApplicationCookie(options =>
        {
            options.LoginPath = "/login";
            options.AccessDeniedPath = "/error/403";
            options.Cookie.Name = "securefallback";
            options.Cookie.HttpOnly = true;
            options.Cookie.SameSite = SameSiteMode.Strict;
            options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            options.ExpireTimeSpan = TimeSpan.FromMinutes(30);
            options.SlidingExpiration = true;
        });
        services.AddOptions<IdentityPasskeyOptions>().Configure<IOptions<PortalOptions>>((passkeys, portal) => PortalPasskeys.Configure(passkeys, portal.Value));
        // Every request checks the session's security stamp against the account (SessionStampValidator, one indexed
        // read): when its owner disowns it ("this was not me") the stamp changes and the other person's session ends at
        // once, not up to 30 minutes later. When the account changed otherwise, Identity rebuilds the principal from it
        // and drops how the session signed in; the sign-in method claims ("amr") are carried over, or an admin's
        // two-step sign-in would be forgotten at the next request.
        services.Configure<SecurityStampValidatorOptions>(options =>
        {
            options.ValidationInterval = TimeSpan.Zero;
            options.OnRefreshingPrincipal = refreshing =>
            {
                var methods = refreshing.CurrentPrincipal?.Claims
                    .Where(c => c.Type is SecondStepClaim.Type or System.Security.Claims.ClaimTypes.AuthenticationMethod)
                    .Select(c => new System.Security.Claims.Claim(c.Type, c.Value)) ?? [];
                refreshing.NewPrincipal?.Identities.First().AddClaims(methods);
                return Task.CompletedTask;
            };
        });
        services.AddAuthorization();
        services.AddAntiforgery(options =>
        {
            options.Cookie.Name = "securefallback.antiforgery";
            options.Cookie.SameSite = SameSiteMode.Strict;
            options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest; // Secure whenever the portal is reached over https
        });

        // Cookie and anti-forgery keys live under the data directory (not in the service user's home), so a
        // restart or a restored backup keeps recipients signed in and forms valid. With PostgreSQL they are in
        // the shared database instead, so a cookie issued by one instance is good at every other. Either way
        // each key is sealed under the master key ring (MasterKeyXmlEncryptor).
        services.AddDataProtection().SetApplicationName("SecureFallback");
        services.AddOptions<KeyManagementOptions>().Configure<IServiceProvider>((keys, sp) =>
            keys.XmlRepository = sp.GetRequiredService<IOptions<DatabaseOptions>>().Value.IsPostgres
                ? new EntityFrameworkCoreXmlRepository<SecureFallbackDbContext>(sp, sp.GetRequiredService<ILoggerFactory>())
                : new FileSystemXmlRepository(new DirectoryInfo(sp.GetRequiredService<IOptions<DataDirectoryOptions>>().Value.Resolve("dataprotection")), sp.GetRequiredService<ILoggerFactory>()));
        services.AddRateLimiter(PortalRateLimits.Configure);
        services.AddScoped<HeldMessages>();
        services.AddScoped<RevokedCopies>();
        services.AddScoped<PortalReplies>();
        services.AddSingleton<ReplyRateLimiter>();
        services.AddScoped<PickupPins>();
        services.AddScoped<PortalAccounts>();
        services.AddScoped<AccountDisowning>();
        services.AddSingleton<MailHtml>();
        services.AddSingleton<ShownMessageCache>();
        return services;
    }

    /// <summary>
    /// Accounts are found by their address in the address rule (<see cref="AddressLookupNormalizer"/>) instead of
    /// Identity's Unicode upper case: in the portal and in the CLI (<c>users add-admin</c>, <c>accounts</c>) alike.
    /// </summary>
    public static IdentityBuilder UseAddressLookups(this IdentityBuilder identity)
    {
        identity.Services.Replace(ServiceDescriptor.Singleton<ILookupNormalizer, AddressLookupNormalizer>());
        return identity;
    }

    /// <summary>Account rules shared by the portal and the CLI (<c>users add-admin</c>), so both accept the same passwords.</summary>
    public static void ConfigureIdentity(IdentityOptions options)
    {
        // A user name is the recipient's address as the intake queued it: any RFC 5321 mailbox (o'brien@…,
        // a&b+x=y@…, xn--… domains, UTF-8 local parts) must be able to register, so no character is refused. Look-ups
        // ignore ASCII case only (UseAddressLookups), as grants are matched to accounts (PickupGrant.AddressKeyOf).
        options.User.AllowedUserNameCharacters = "";
        IdentitySchema.Configure(options); // version 3: passkeys
        options.User.RequireUniqueEmail = false; // see AddressIsUserNameValidator: unique, without refusing "a@b"@x
        options.SignIn.RequireConfirmedEmail = true;
        options.Password.RequiredLength = 12;
        options.Password.RequireNonAlphanumeric = false;
        options.Password.RequireUppercase = false;
        options.Password.RequireLowercase = false;
        options.Password.RequireDigit = false;
        options.Lockout.MaxFailedAccessAttempts = 5;
        options.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(15);
        options.Lockout.AllowedForNewUsers = true;
        // Mailed codes (registration, reset) are our own (MailedCodes): ten characters to type, no link to click,
        // with their own try counter, so they never count towards this lockout.
    }

    public static WebApplication MapSecureFallbackPortal(this WebApplication app)
    {
        // Behind a reverse proxy on this machine (the only one trusted by default), the client's address and
        // scheme come from X-Forwarded-For/-Proto: rate limits then count clients, and cookies get Secure.
        app.UseForwardedHeaders(new ForwardedHeadersOptions
        {
            ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto,
        });
        app.Use(async (context, next) =>
        {
            var headers = context.Response.Headers;
            if (context.Request.IsHttps)
            {
                headers.StrictTransportSecurity = "max-age=31536000; includeSubDomains";
            }

            headers.ContentSecurityPolicy = PortalPasskeys.Csp; // no script; the passkey pages alone widen it ([PasskeyScript])
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            await next();
        });
        // Before the error pages, so that they too speak the reader's language.
        app.UseRequestLocalization();
        // Errors get a page that says what to do; the status code stays (404 is still 404).
        app.UseExceptionHandler("/error/500");
        app.UseStatusCodePagesWithReExecute("/error/{0}");
        app.UseRateLimiter();
        app.UseAuthentication();
        app.Use(ReplyUploads.ApplyLimitsAsync); // the reply form's larger body, buffered in memory only, signed in only
        app.UseAuthorization();
        app.MapGet("/portal.css", () => Results.Text(PortalStyle.Css, "text/css; charset=utf-8"));
        PortalBranding.Map(app);
        PortalLanguages.MapSwitch(app);
        app.MapGet("/passkey.js", () => Results.Text(PortalPasskeys.Script, "text/javascript; charset=utf-8"));
        if (!PortalPasskeys.AreAvailable(app.Services.GetRequiredService<IOptions<PortalOptions>>().Value))
        {
            PortalLog.PasskeysUnavailable(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(PortalPasskeys)), app.Services.GetRequiredService<IOptions<PortalOptions>>().Value.PublicUrl);
        }

        app.MapRazorPages();
        return app;
    }
}
