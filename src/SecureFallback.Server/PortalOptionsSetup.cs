using Microsoft.Extensions.Options;
using SecureFallback.Core;

namespace SecureFallback.Server;

/// <summary>Fills <see cref="PortalOptions"/> defaults that depend on other settings, and checks the result.</summary>
internal static class PortalOptionsSetup
{
    public static void ApplyDefaults(PortalOptions portal, IConfiguration configuration)
    {
        if (string.IsNullOrWhiteSpace(portal.PublicUrl))
        {
            var urls = configuration["Urls"] ?? ServerHost.DefaultUrls;
            portal.PublicUrl = urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "";
        }

    }
}

internal sealed class PortalOptionsValidator : IValidateOptions<PortalOptions>
{
    public ValidateOptionsResult Validate(string? name, PortalOptions options)
    {
        if (!Uri.TryCreate(options.PublicUrl, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            return ValidateOptionsResult.Fail($"SecureFallback:Portal:PublicUrl '{options.PublicUrl}' must be an absolute http(s) URL such as https://secure.example.com.");
        }

        if (options.ParsedReplies is null)
        {
            return ValidateOptionsResult.Fail($"SecureFallback:Portal:Replies '{options.Replies}' must be off, sender or sender-and-recipients.");
        }

        // A reply's files are held in memory until sealed (never in a temporary file in clear), hence the ceiling.
        if (options.ReplyMaxBytes is < 1024 or > 100L * 1024 * 1024)
        {
            return ValidateOptionsResult.Fail($"SecureFallback:Portal:ReplyMaxBytes {options.ReplyMaxBytes} must be between 1024 and 104857600 (100 MB).");
        }

        if (options.RepliesPerHour < 1)
        {
            return ValidateOptionsResult.Fail($"SecureFallback:Portal:RepliesPerHour {options.RepliesPerHour} must be at least 1.");
        }

        return options.CredentialRequestsPerMinute < 1
            ? ValidateOptionsResult.Fail($"SecureFallback:Portal:CredentialRequestsPerMinute {options.CredentialRequestsPerMinute} must be at least 1.")
            : ValidateOptionsResult.Success;
    }
}
