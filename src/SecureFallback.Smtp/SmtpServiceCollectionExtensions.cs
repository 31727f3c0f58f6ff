using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SecureFallback.Core.Messages;

namespace SecureFallback.Smtp;

/// <summary>Registers the SMTP intake.</summary>
public static class SmtpServiceCollectionExtensions
{
    /// <param name="services">The container.</param>
    /// <param name="listen">Whether this instance listens for SMTP (role <c>Intake</c>).</param>
    public static IServiceCollection AddSecureFallbackIntake(this IServiceCollection services, bool listen = true)
    {
        services.AddOptions<IntakeOptions>()
            .BindConfiguration(IntakeOptions.SectionName)
            .PostConfigure(o =>
            {
                if (o.AllowedNetworks.Count == 0)
                {
                    o.AllowedNetworks.AddRange(IntakeOptions.DefaultAllowedNetworks);
                }
            })
            .ValidateOnStart();
        services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<IntakeOptions>, IntakeOptionsValidator>();

        services.TryAddSingleton<IPasswordHasher<RelayUser>, PasswordHasher<RelayUser>>();
        services.AddSingleton<RelayPolicy>();
        services.AddSingleton<QueueingMessageStore>();
        services.AddSingleton<RelayMailboxFilter>();
        services.AddSingleton<RelayUserAuthenticator>();
        services.AddSingleton<AuthFailureLimiter>();
        services.AddSingleton<IntakeReadiness>();
        if (listen)
        {
            services.AddHostedService<SmtpIntakeService>();
        }

        return services;
    }
}
