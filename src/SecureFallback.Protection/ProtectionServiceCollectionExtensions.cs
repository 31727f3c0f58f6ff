using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SecureFallback.Core;
using SecureFallback.Core.Messages;

namespace SecureFallback.Protection;

/// <summary>Registers encryption at rest.</summary>
public static class ProtectionServiceCollectionExtensions
{
    public static IServiceCollection AddSecureFallbackProtection(this IServiceCollection services)
    {
        services.AddOptions<ProtectionOptions>().BindConfiguration(ProtectionOptions.SectionName);
        services.AddSingleton(sp =>
        {
            var dataDirectory = sp.GetRequiredService<IOptions<DataDirectoryOptions>>().Value;
            var options = sp.GetRequiredService<IOptions<ProtectionOptions>>().Value;
            return MasterKeyRing.LoadOrCreate(dataDirectory.Resolve(options.KeyDirectory));
        });
        services.AddSingleton<IContentProtector, ChunkedAesGcmProtector>();
        return services;
    }
}
