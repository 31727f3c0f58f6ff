using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SecureFallback.Core.Messages;
using SecureFallback.Data;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

/// <summary>
/// TLS reports, what is refused and what is not counted: a rua that cannot be handled, an https rua on a private
/// address, mailto ruas without a DKIM key, statically routed domains, and the report mail itself.
/// </summary>
public sealed partial class TlsReportTests
{
    [Fact]
    public async Task SendNow_StillReportsAGoodDomain_AfterADomainWhoseRuaCannotBeStored()
    {
        await using var reports = await TestHttpsServer.StartAsync(_ca.Issue(["reports.test"]), "");
        _dns.Txt($"_smtp._tls.{Domain}", $"v=TLSRPTv1; rua=https://reports.test:{reports.Port}/tlsrpt");
        _dns.Txt("_smtp._tls.a-first.test", $"v=TLSRPTv1; rua=https://reports.test:{reports.Port}/{new string('x', 1100)}");
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var server = await StartAsync(plain.Port);
        await HoldAsync(server);
        await using (var scope = server.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
            var row = await db.TlsSessionCounts.AsNoTracking().FirstAsync();
            row.Id = 0;
            row.PolicyDomain = "a-first.test";
            db.TlsSessionCounts.Add(row);
            await db.SaveChangesAsync();
        }

        var (exitCode, output) = await CliAsync(server, "tls-reports", "send", "--now");

        Assert.True(exitCode == 0, output);
        Assert.Contains($"{Domain}: sent to https://reports.test:{reports.Port}/tlsrpt", output);
        Assert.Equal("/tlsrpt", Assert.Single(reports.Posts).Path); // the overlong rua is dropped, not sent to
    }

    [Fact]
    public async Task SendNow_RefusesAnHttpsRua_OnALoopbackAddress_UnlessPrivateEndpointsAreAllowed()
    {
        _allowPrivateEndpoints = false;
        await using var reports = await TestHttpsServer.StartAsync(_ca.Issue(["reports.test"]), "");
        _dns.Txt($"_smtp._tls.{Domain}", $"v=TLSRPTv1; rua=https://reports.test:{reports.Port}/tlsrpt");
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var server = await StartAsync(plain.Port);
        await HoldAsync(server);

        var (exitCode, output) = await CliAsync(server, "tls-reports", "send", "--now");

        Assert.True(exitCode != 0, output);
        Assert.Contains($"{Domain}: failed to send to https://reports.test:{reports.Port}/tlsrpt", output);
        Assert.Empty(reports.Posts);
        await using var scope = server.Services.CreateAsyncScope();
        var send = await scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>().TlsReportSends.SingleAsync();
        Assert.Null(send.SentAt);
        Assert.Contains("not a public address", send.LastError);
    }

    [Fact]
    public async Task SendNow_WithoutADkimKey_SkipsMailtoRuas_ButStillPostsToHttpsOnes()
    {
        _dkimSigned = false;
        await using var reports = await TestHttpsServer.StartAsync(_ca.Issue(["reports.test"]), "");
        _dns.Txt($"_smtp._tls.{Domain}", $"v=TLSRPTv1; rua=mailto:tlsrpt@reports.test,https://reports.test:{reports.Port}/tlsrpt");
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var mailbox = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var server = await StartAsync(plain.Port, new() { ["SecureFallback:Delivery:Routes:reports.test"] = mailbox.Route });
        await HoldAsync(server);

        var (exitCode, output) = await CliAsync(server, "tls-reports", "send", "--now");

        Assert.True(exitCode == 0, output);
        Assert.Contains($"{Domain}: skipped (no DKIM key: receivers ignore unsigned reports) to mailto:tlsrpt@reports.test", output);
        Assert.Contains($"{Domain}: sent to https://reports.test:{reports.Port}/tlsrpt", output);
        Assert.Single(reports.Posts);
        Assert.DoesNotContain((await server.RecipientsAsync()), r => r.Message!.Kind == MessageKind.TlsReport);
    }

    [Fact]
    public async Task Sessions_OfAStaticallyRoutedDomain_AreNotCounted()
    {
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var server = await StartAsync(plain.Port, new() { [$"SecureFallback:Delivery:Routes:{Domain}"] = plain.Route });

        await HoldAsync(server);

        await using var scope = server.Services.CreateAsyncScope();
        Assert.Empty(await scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>().TlsSessionCounts.ToListAsync());
    }

    [Fact]
    public async Task Sessions_OfTlsReportMailItself_AreNotCounted()
    {
        _dns.Txt($"_smtp._tls.{Domain}", "v=TLSRPTv1; rua=mailto:tlsrpt@reports.test").Mx("reports.test", 10, "mx.reports.test").Address("mx.reports.test", "127.0.0.1");
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var server = await StartAsync(plain.Port);
        await HoldAsync(server);

        var (exitCode, output) = await CliAsync(server, "tls-reports", "send", "--now");
        await server.WaitForRecipientsAsync(r => r.Any(x => x.Message!.Kind == MessageKind.TlsReport && x.Status == RecipientStatus.Delivered));
        await server.WaitForIdleQueueAsync();

        Assert.True(exitCode == 0, output);
        Assert.Contains(await server.AttemptsAsync(), a => a.Host == "mx.reports.test");
        await using var scope = server.Services.CreateAsyncScope();
        Assert.DoesNotContain(await scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>().TlsSessionCounts.Select(c => c.PolicyDomain).ToListAsync(), d => d == "reports.test");
    }
}
