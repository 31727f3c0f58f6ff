using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using DnsClient;
using DnsClient.Protocol;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SecureFallback.Core.Policies;
using SecureFallback.Data;
using SecureFallback.Delivery.Transport;

namespace SecureFallback.Delivery.Policies;

/// <summary>Settings under <c>SecureFallback:MtaSts</c>.</summary>
public sealed class MtaStsOptions
{
    public const string SectionName = "SecureFallback:MtaSts";

    /// <summary>Honour recipient domains' MTA-STS policies. Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Port of the policy host (RFC 8461: 443). Only tests change it.</summary>
    public int HttpsPort { get; set; } = 443;

    /// <summary>Time allowed for the TXT lookup plus the policy fetch. Default 10 s.</summary>
    public TimeSpan FetchTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// Finds the MTA-STS policy in force for a domain (RFC 8461 5): TXT <c>_mta-sts.&lt;domain&gt;</c>; when its id is new
/// (or nothing is cached), the policy from <c>https://mta-sts.&lt;domain&gt;/.well-known/mta-sts.txt</c> — a valid
/// WebPKI certificate, no redirects, at most 64 KB, <c>text/plain</c>. The result is cached in the database and
/// fetched again once half its <c>max_age</c> has passed (RFC 8461 5.1 asks senders to refresh before expiry), so a
/// reachable policy host keeps it from ever expiring. When a fetch fails, or the TXT record disappears or cannot be
/// looked up, the cached policy stays in force — even past <c>max_age</c> (RFC 8461 10.2): otherwise an attacker who
/// blocks the policy host for <c>max_age</c> turns <c>enforce</c> off. It is replaced only by a policy fetched
/// successfully, which is how a domain retires MTA-STS (<c>mode: none</c>, RFC 8461 8.3).
/// </summary>
internal sealed class MtaStsResolver(
    IServiceScopeFactory scopeFactory,
    ILookupClient dns,
    WebPkiHttp webPki,
    IOptions<MtaStsOptions> options,
    TimeProvider timeProvider,
    ILogger<MtaStsResolver> logger)
{
    private const int MaxPolicyBytes = 64 * 1024;

    /// <summary>After a failed fetch for a TXT id, wait this long before asking the policy host again.</summary>
    private static readonly TimeSpan FetchRetryDelay = TimeSpan.FromMinutes(5);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (string Id, DateTimeOffset RetryAfter)> _failedFetches = new();

    public async Task<MtaStsPolicy?> GetAsync(string domain, CancellationToken cancellationToken)
    {
        if (!options.Value.Enabled)
        {
            return null;
        }

        domain = domain.ToLowerInvariant();
        await using var scope = scopeFactory.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
        var now = timeProvider.GetUtcNow();
        var cached = await db.MtaStsPolicies.SingleOrDefaultAsync(p => p.Domain == domain, cancellationToken);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.FetchTimeout);
        string? txtId = null;
        var txtAnswered = false;
        try
        {
            var txt = await dns.QueryAsync($"_mta-sts.{domain}", QueryType.TXT, cancellationToken: timeout.Token);
            var ids = txt.Answers.TxtRecords().Select(r => MtaStsText.TxtId(string.Concat(r.Text))).Where(i => i is not null).ToList();
            txtId = ids.Count == 1 ? ids[0] : null; // none, or several (RFC 8461 3.1: then treat as none)
            txtAnswered = !txt.HasError || txt.Header.ResponseCode == DnsHeaderResponseCode.NotExistentDomain;
        }
        catch (Exception ex) when (ex is DnsResponseException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            // No answer: a cached policy stays in force and may still be refreshed under its own id.
        }

        if (cached is not null && txtAnswered && txtId is null && now >= cached.ExpiresAt)
        {
            // Past its max_age, and the domain's DNS answers that it announces no policy any more: it dropped MTA-STS
            // (a blocked policy host alone never lets a policy lapse while the TXT record still announces one).
            MtaStsLog.Lapsed(logger, domain);
            return null;
        }

        // Without a TXT record a cached policy is refreshed under its own id (RFC 8461 5.1: keep using it meanwhile).
        var id = txtId ?? cached?.PolicyId;
        var due = cached is null || cached.PolicyId != id || now >= RefreshAt(cached);
        if (id is null || !due
            || (_failedFetches.TryGetValue(domain, out var failed) && failed.Id == id && failed.RetryAfter > now))
        {
            return cached;
        }

        var (fetched, maxAge, error) = await FetchAsync(domain, timeout.Token);
        if (fetched is null)
        {
            // Every delivery to the domain would otherwise ask the (broken) policy host again.
            _failedFetches[domain] = (id, now + FetchRetryDelay);
            MtaStsLog.FetchFailed(logger, domain, error);
            return cached;
        }

        _failedFetches.TryRemove(domain, out _);
        var entry = cached ?? db.MtaStsPolicies.Add(new MtaStsPolicy { Domain = domain }).Entity;
        (entry.PolicyId, entry.Mode, entry.MxPatterns, entry.FetchedAt, entry.ExpiresAt) = (id, fetched.Mode, fetched.MxPatterns, now, now + maxAge);
        await db.SaveChangesAsync(cancellationToken);

        MtaStsLog.Fetched(logger, domain, PolicyNames.Of(entry.Mode), id);
        return entry;
    }

    /// <summary>When a cached policy is fetched again although its id has not changed: once half its max_age has passed.</summary>
    internal static DateTimeOffset RefreshAt(MtaStsPolicy cached) => cached.FetchedAt + ((cached.ExpiresAt - cached.FetchedAt) / 2);

    private async Task<(MtaStsPolicy? Policy, TimeSpan MaxAge, string Error)> FetchAsync(string domain, CancellationToken cancellationToken)
    {
        var host = $"mta-sts.{domain}";
        using var http = webPki.Create(host, TimeSpan.FromSeconds(100)); // HttpClient's default; FetchTimeout cancels sooner
        http.MaxResponseContentBufferSize = MaxPolicyBytes;
        try
        {
            var port = options.Value.HttpsPort == 443 ? "" : $":{options.Value.HttpsPort}";
            using var response = await http.GetAsync(new Uri($"https://{host}{port}/.well-known/mta-sts.txt"), cancellationToken);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return (null, default, $"HTTP {(int)response.StatusCode}");
            }

            if (response.Content.Headers.ContentType?.MediaType != "text/plain")
            {
                return (null, default, $"content type {response.Content.Headers.ContentType?.MediaType} is not text/plain");
            }

            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            return MtaStsText.TryParsePolicy(text, out var policy, out var maxAge, out var error) ? (policy, maxAge, "") : (null, default, error);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException && !cancellationToken.IsCancellationRequested)
        {
            return (null, default, ex.Message);
        }
    }
}

internal static partial class MtaStsLog
{
    [LoggerMessage(EventId = 4301, Level = LogLevel.Information, Message = "MTA-STS policy of {Domain}: mode {Mode}, id {Id}")]
    public static partial void Fetched(ILogger logger, string domain, string mode, string id);

    [LoggerMessage(EventId = 4302, Level = LogLevel.Warning, Message = "MTA-STS policy of {Domain} could not be fetched (sts-policy-fetch-error): {Error}; a cached policy, if any, stays in force")]
    public static partial void FetchFailed(ILogger logger, string domain, string error);

    [LoggerMessage(EventId = 4303, Level = LogLevel.Information, Message = "MTA-STS policy of {Domain} lapsed: past its max_age, and the domain no longer announces one")]
    public static partial void Lapsed(ILogger logger, string domain);
}
