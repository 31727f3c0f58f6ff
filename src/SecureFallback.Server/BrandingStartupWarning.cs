using Microsoft.Extensions.Options;
using SecureFallback.Core.Branding;

namespace SecureFallback.Server;

/// <summary>
/// Says at start when recipients would read "this organisation": strangers trust a notice that names who sends it.
/// </summary>
internal sealed partial class BrandingStartupWarning(IOptions<BrandingOptions> branding, ILogger<BrandingStartupWarning> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (branding.Value.OrganizationNameIsDefault)
        {
            OrganizationNotNamed(logger);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 7001, Level = LogLevel.Warning, Message = "SecureFallback:Branding:OrganizationName is not set: notices and portal pages name the sender as \"this organisation\". Set it before recipients see them.")]
    private static partial void OrganizationNotNamed(ILogger logger);
}
