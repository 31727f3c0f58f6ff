using Microsoft.Extensions.Options;

namespace SecureFallback.Server;

/// <summary>Settings under <c>SecureFallback:Portal</c>.</summary>
public sealed class PortalOptions
{
    public const string SectionName = "SecureFallback:Portal";

    /// <summary>Base URL written into mails (pickup notices); default the first of <c>Urls</c>.</summary>
    public string PublicUrl { get; set; } = "";

    internal void ApplyDefaults(IConfiguration configuration)
    {
        if (string.IsNullOrWhiteSpace(PublicUrl))
        {
            var urls = configuration["Urls"] ?? ServerHost.DefaultUrls;
            PublicUrl = urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "";
        }
    }
}

internal sealed class PortalOptionsValidator : IValidateOptions<PortalOptions>
{
    public ValidateOptionsResult Validate(string? name, PortalOptions options) =>
        Uri.TryCreate(options.PublicUrl, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"SecureFallback:Portal:PublicUrl '{options.PublicUrl}' must be an absolute http(s) URL such as https://secure.example.com.");
}
