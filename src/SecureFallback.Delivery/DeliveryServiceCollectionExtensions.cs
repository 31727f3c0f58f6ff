using System.Net;
using DnsClient;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SecureFallback.Core;
using SecureFallback.Core.Branding;
using SecureFallback.Core.Intake;
using SecureFallback.Core.Pickup;
using SecureFallback.Core.Policies;
using SecureFallback.Delivery.Checks;
using SecureFallback.Delivery.Notices;
using SecureFallback.Delivery.Outboxes;
using SecureFallback.Delivery.Outcomes;
using SecureFallback.Delivery.Policies;
using SecureFallback.Delivery.Queue;
using SecureFallback.Delivery.Routing;
using SecureFallback.Delivery.Transport;

namespace SecureFallback.Delivery;

/// <summary>Registers outbound delivery: routing, the mandatory-TLS transport, the queue runner and DSNs.</summary>
public static class DeliveryServiceCollectionExtensions
{
    /// <param name="services">The container.</param>
    /// <param name="runQueue">Whether this instance runs the queue (role <c>Delivery</c>); the services stay available either way.</param>
    public static IServiceCollection AddSecureFallbackDelivery(this IServiceCollection services, bool runQueue = true)
    {
        services.AddOptions<DeliveryOptions>()
            .BindConfiguration(DeliveryOptions.SectionName)
            .PostConfigure(o =>
            {
                if (o.RetrySchedule.Count == 0)
                {
                    o.RetrySchedule.AddRange(DeliveryOptions.DefaultRetrySchedule);
                }

                if (string.IsNullOrWhiteSpace(o.HeloName))
                {
                    o.HeloName = Dns.GetHostName();
                }
            })
            .ValidateOnStart();
        services.AddOptions<DnsOptions>().BindConfiguration(DnsOptions.SectionName).ValidateOnStart();
        services.AddOptions<NoticeOptions>()
            .BindConfiguration(NoticeOptions.SectionName)
            .PostConfigure<IOptions<DeliveryOptions>>((notices, delivery) =>
            {
                if (string.IsNullOrWhiteSpace(notices.From))
                {
                    notices.From = $"postmaster@{delivery.Value.HeloName}";
                }
            })
            .ValidateOnStart();
        services.AddOptions<Reports.TlsReportOptions>()
            .BindConfiguration(Reports.TlsReportOptions.SectionName)
            .PostConfigure<IOptions<NoticeOptions>, IOptions<Core.Branding.BrandingOptions>>(Reports.TlsReportOptions.ApplyDefaults)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<Reports.TlsReportOptions>, Reports.TlsReportOptionsValidator>();
        services.AddOptions<PickupOptions>()
            .BindConfiguration(PickupOptions.SectionName)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<PickupOptions>, PickupOptionsValidator>();
        services.AddOptions<PolicyOptions>().Configure<IConfiguration>(PolicyOptions.Bind).ValidateOnStart();
        services.AddSingleton<IValidateOptions<PolicyOptions>, PolicyOptionsValidator>();
        services.AddOptions<MtaStsOptions>().BindConfiguration(MtaStsOptions.SectionName)
            .Validate(o => o.HttpsPort is > 0 and <= 65535 && o.FetchTimeout > TimeSpan.Zero, "SecureFallback:MtaSts:HttpsPort must be 1-65535 and FetchTimeout positive.")
            .ValidateOnStart();
        services.AddSingleton<MtaStsResolver>();
        services.AddSingleton<PolicyCatalog>();
        services.AddSingleton<IPolicyChanges>(sp => sp.GetRequiredService<PolicyCatalog>());
        services.AddSingleton<TrustedRoots>();
        services.AddSingleton<WebPkiHttp>();
        services.AddSingleton<DaneRecords>();
        services.AddSingleton<ITlsChecker, TlsChecker>();
        services.AddSingleton<DeliveryOptionsValidator>();
        services.AddSingleton<IValidateOptions<DeliveryOptions>>(sp => sp.GetRequiredService<DeliveryOptionsValidator>());
        services.AddSingleton<IValidateOptions<DnsOptions>>(sp => sp.GetRequiredService<DeliveryOptionsValidator>());
        services.AddSingleton<IValidateOptions<NoticeOptions>>(sp => sp.GetRequiredService<DeliveryOptionsValidator>());

        services.AddSingleton<ILookupClient>(sp => CreateLookupClient(sp.GetRequiredService<IOptions<DnsOptions>>().Value));
        services.AddSingleton<INextHopResolver, DnsNextHopResolver>();

        services.AddSingleton<DeliveryReadiness>();
        services.AddSingleton<OutcomeRecorder>();
        services.AddSingleton<NoticeSigner>();
        services.AddLocalization();
        services.AddSingleton<NoticeLanguages>();
        services.AddSingleton(sp => new MailBrand(
            sp.GetRequiredService<IOptions<BrandingOptions>>().Value,
            Uri.TryCreate(sp.GetRequiredService<IOptions<PortalOptions>>().Value.PublicUrl, UriKind.Absolute, out var portal) ? portal : null));
        services.AddSingleton<DsnOutbox>();
        services.AddSingleton<PickupNoticeOutbox>();
        services.AddSingleton<ReadReceiptOutbox>();
        services.AddSingleton<DisownReportOutbox>();
        services.AddSingleton<RevokeConfirmationOutbox>();
        services.AddSingleton<IAccountMail, AccountMailQueue>();
        services.AddScoped<IPortalReplies, PortalReplyQueue>();
        services.AddSingleton<SessionCache>();
        services.AddSingleton<QueuedContentLoader>();
        services.AddSingleton<HostDialer>();
        services.AddSingleton<DomainDelivery>();
        services.AddSingleton(sp => new Reports.TlsReportSender(sp));
        if (runQueue)
        {
            services.AddHostedService<Reports.DailyTlsReports>();
            services.AddHostedService<DeliveryWorker>();
            services.AddHostedService<PickupExpiryWorker>();
            services.AddHostedService<HeldTlsRetryWorker>();
        }

        services.AddHostedService<QueueGauges>();
        return services;
    }

    private static LookupClient CreateLookupClient(DnsOptions options)
    {
        var servers = options.Servers.Select(s => new NameServer(IPEndPoint.Parse(s) is { Port: 0 } endPoint ? new IPEndPoint(endPoint.Address, 53) : IPEndPoint.Parse(s))).ToArray();
        var lookupOptions = servers.Length > 0 ? new LookupClientOptions(servers) : new LookupClientOptions();
        lookupOptions.UseCache = true;
        lookupOptions.Timeout = options.Timeout;
        lookupOptions.Retries = 2;
        lookupOptions.ThrowDnsErrors = false;
        lookupOptions.ContinueOnDnsError = false;
        lookupOptions.UseTcpFallback = true;
        // The DO bit, so a validating resolver says (AD) whether TLSA answers are DNSSEC-authenticated (RFC 7672).
        lookupOptions.RequestDnsSecRecords = true;
        return new LookupClient(lookupOptions);
    }
}
