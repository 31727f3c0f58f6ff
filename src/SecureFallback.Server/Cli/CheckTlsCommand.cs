using System.Globalization;
using Microsoft.EntityFrameworkCore;
using SecureFallback.Core.Policies;
using SecureFallback.Data;
using SecureFallback.Delivery;
using SecureFallback.Delivery.Checks;

namespace SecureFallback.Server.Cli;

/// <summary>
/// <c>securefallback check-tls &lt;domain | host:port&gt;</c>: what a delivery to that target would meet (next hops,
/// STARTTLS, protocol and cipher, certificate, chain and name checks) and the verdict under each level and under
/// the target's policy. Exit code 0 when the policy's level can be met, 1 when not, 2 for bad settings, 64 for bad usage.
/// </summary>
internal static class CheckTlsCommand
{
    public static async Task<int> RunAsync(string target, string[] settings)
    {
        using var host = CliHost.Build(settings, services => services.AddSecureFallbackDelivery());
        try
        {
            host.Services.GetService<Microsoft.Extensions.Options.IStartupValidator>()?.Validate();
        }
        catch (Exception ex) when (StartupErrors.Describe(ex) is { } message)
        {
            await Console.Error.WriteLineAsync(message);
            return 2;
        }

        await using (var scope = host.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>().MigrateToCurrentAsync();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var report = await host.Services.GetRequiredService<ITlsChecker>().CheckAsync(target, timeout.Token);
        Console.Write(Format(report));
        return report.MeetsPolicy ? 0 : 1;
    }

    internal static string Format(TlsCheckReport report)
    {
        var text = new System.Text.StringBuilder();
        void Line(string line) => text.Append(line).Append('\n');
        Line($"check-tls {report.Target}");
        Line($"  policy: level {PolicyNames.Of(report.Policy.Level)}, on failure {PolicyNames.Of(report.Policy.OnFailure)} ({report.Policy.Source})");
        if (report.ResolutionFailure is not null)
        {
            Line($"  next hops: none ({report.ResolutionFailure})");
        }

        foreach (var host in report.Hosts)
        {
            var stsNote = report.MtaSts is { Mode: MtaStsMode.Enforce } enforced && !enforced.AllowsMx(host.Host) ? " (not named by the MTA-STS policy: skipped)" : "";
            Line($"  {host.Host} [{host.Address}]:{host.Port.ToString(CultureInfo.InvariantCulture)}{stsNote}");
            if (host.Failure is not null)
            {
                Line($"    TLS: no ({host.Failure})");
            }
            else
            {
                Line($"    STARTTLS: offered; {host.Protocol}, {host.Cipher}");
                Line($"    certificate: {host.Subject}; issuer {host.Issuer}; valid {host.NotBefore:yyyy-MM-dd} to {host.NotAfter:yyyy-MM-dd}; sha256 {host.Sha256}");
                Line($"    chain: {(host.ChainTrusted ? "trusted" : "not trusted")}");
                Line(host.ValidatedTlsaRecords > 0
                    ? $"    DANE: {host.ValidatedTlsaRecords} DNSSEC-validated TLSA record(s), which decide at every level"
                    : "    DANE: no DNSSEC-validated TLSA records");
            }

            foreach (var (level, result) in host.LevelResults)
            {
                Line($"    {PolicyNames.Of(level),-9} {(result is null ? "ok" : "FAIL " + result)}");
            }
        }

        Line(report.MtaSts is { } sts
            ? $"  MTA-STS: mode {PolicyNames.Of(sts.Mode)}, id {sts.PolicyId}, mx {sts.MxPatterns}, valid until {sts.ExpiresAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC"
            : "  MTA-STS: no policy (or the target is a host or a static route)");
        Line(report.MeetsPolicy
            ? $"  verdict: mail gets TLS at level {PolicyNames.Of(report.Policy.Level)}"
            : $"  verdict: mail does NOT get TLS at level {PolicyNames.Of(report.Policy.Level)}; it would go to: {PolicyNames.Of(report.Policy.OnFailure)}");
        return text.ToString();
    }
}
