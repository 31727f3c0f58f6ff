using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MimeKit;
using SecureFallback.Core.Delivery;
using SecureFallback.Core.Messages;
using SecureFallback.Data;
using SecureFallback.Delivery.Reports;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

/// <summary>
/// SMTP TLS Reporting (RFC 8460) end to end: sessions are counted as mail goes out, and <c>tls-reports send</c>
/// delivers each day's report to the addresses a domain publishes at <c>_smtp._tls</c>.
/// </summary>
public sealed partial class TlsReportTests : IAsyncLifetime
{
    private const string Domain = "partner.test";
    private readonly TestCertificateAuthority _ca = new();
    private readonly TestDnsServer _dns = new();
    private readonly string _caDirectory = Directory.CreateTempSubdirectory("sf-ca-").FullName;
    private readonly TestDkimKey _dkim = new();
    private bool _allowPrivateEndpoints = true; // the test receivers are all on 127.0.0.1
    private bool _dkimSigned = true;

    public Task InitializeAsync()
    {
        _dns.Mx(Domain, 10, $"mx.{Domain}").Address($"mx.{Domain}", "127.0.0.1").Address($"mta-sts.{Domain}", "127.0.0.1").Address("reports.test", "127.0.0.1");
        return Task.CompletedTask;
    }

    [Fact]
    public async Task SendNow_MailsTheDaysReport_ToTheRuaMailbox_WithTheStartTlsFailures()
    {
        _dns.Txt($"_smtp._tls.{Domain}", "v=TLSRPTv1; rua=mailto:tlsrpt@reports.test");
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var mailbox = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var server = await StartAsync(plain.Port, new() { ["SecureFallback:Delivery:Routes:reports.test"] = mailbox.Route });
        var attempts = await HoldAsync(server);

        var (exitCode, output) = await CliAsync(server, "tls-reports", "send", "--now");

        Assert.True(exitCode == 0, output);
        Assert.Contains($"{Domain}: sent to mailto:tlsrpt@reports.test", output);
        var mail = await mailbox.WaitForMessageAsync(TimeSpan.FromSeconds(60));
        Assert.Equal("tlsrpt", (mail.Body as MultipartReport)?.ReportType);
        Assert.Equal(Domain, mail.Headers["TLS-Report-Domain"]);
        Assert.Equal("securefallback.test", mail.Headers["TLS-Report-Submitter"]);
        Assert.Equal("No", mail.Headers["TLS-Required"]);
        var signature = Assert.Single(mail.Headers, h => h.Id == HeaderId.DkimSignature);
        Assert.Contains("d=securefallback.test", signature.Value);
        Assert.DoesNotMatch(@"(^|;)\s*l=", signature.Value); // RFC 8460 5.3: no body length limit
        Assert.True(await _dkim.VerifiesAsync(mail, signature));
        var attachment = mail.Attachments.OfType<MimePart>().Single();
        Assert.Equal("application/tlsrpt+gzip", attachment.ContentType.MimeType);
        Assert.Matches($@"^securefallback\.test!{Domain}!\d+!\d+!.+\.json\.gz$", attachment.FileName);
        using var content = new MemoryStream();
        await attachment.Content!.DecodeToAsync(content);
        AssertStartTlsReport(Gunzip(content.ToArray()), attempts);

        // Sent once per day, domain and rua: a second run leaves it.
        var (_, again) = await CliAsync(server, "tls-reports", "send", "--now");
        Assert.Contains($"{Domain}: already sent to mailto:tlsrpt@reports.test", again);
    }

    [Fact]
    public async Task SendNow_PostsTheReport_ToAnHttpsRua()
    {
        await using var reports = await TestHttpsServer.StartAsync(_ca.Issue(["reports.test"]), "");
        _dns.Txt($"_smtp._tls.{Domain}", $"v=TLSRPTv1; rua=https://reports.test:{reports.Port}/tlsrpt");
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var server = await StartAsync(plain.Port);
        var attempts = await HoldAsync(server);

        var (exitCode, output) = await CliAsync(server, "tls-reports", "send", "--now");

        Assert.True(exitCode == 0, output);
        var post = Assert.Single(reports.Posts);
        Assert.Equal(("/tlsrpt", "application/tlsrpt+gzip"), (post.Path, post.ContentType));
        AssertStartTlsReport(Gunzip(post.Body), attempts);
        await using var scope = server.Services.CreateAsyncScope();
        var sent = await scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>().TlsReportSends.SingleAsync();
        Assert.Equal((Domain, attempts, 1), (sent.PolicyDomain, sent.FailedSessions, sent.Attempts));
        Assert.NotNull(sent.SentAt);

        // The admin console shows the domain's last report and its counts.
        await server.AddPortalUserAsync("admin@ops.test", "an admin console password", "Admin");
        using var admin = new PortalVisitor(server.WebAddress);
        await admin.SignInAsync("admin@ops.test", "an admin console password");
        await admin.TurnOnAuthenticatorAsync();
        using var page = await admin.SendAsync(HttpMethod.Get, "/admin/tls-reports");
        Assert.True(page.StatusCode == System.Net.HttpStatusCode.OK, $"{page.StatusCode} {page.Headers.Location}");
        var html = System.Net.WebUtility.HtmlDecode(await page.Content.ReadAsStringAsync());
        Assert.Matches($@"<td>{Domain}</td>\s*<td>{sent.Day}</td>\s*<td>https://reports\.test:{reports.Port}/tlsrpt</td>\s*<td>[^<]+</td>\s*<td>0</td>\s*<td>{attempts}</td>", html);
        using var csv = await admin.SendAsync(HttpMethod.Get, "/admin/audit.csv");
        Assert.Matches($@"(?m)^[^,]+,,TlsReport,,https://reports\.test:{reports.Port}/tlsrpt,.*,tls-report-sent,{Domain} {sent.Day},", await csv.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Report_OfAnMtaStsDomain_CarriesItsStsPolicy()
    {
        await using var policyServer = await TestHttpsServer.StartAsync(_ca.Issue([$"mta-sts.{Domain}"]), $"version: STSv1\nmode: enforce\nmx: mx.{Domain}\nmax_age: 86400\n");
        _dns.Txt($"_mta-sts.{Domain}", "v=STSv1; id=20261206").Txt($"_smtp._tls.{Domain}", $"v=TLSRPTv1; rua=https://mta-sts.{Domain}:{policyServer.Port}/tlsrpt");
        await using var receiver = await TlsSmtpReceiver.StartAsync($"mx.{Domain}", certificate: TestCertificates.SelfSigned($"mx.{Domain}"));
        await using var server = await StartAsync(receiver.Port, new() { ["SecureFallback:MtaSts:HttpsPort"] = policyServer.Port.ToString(CultureInfo.InvariantCulture) });
        await HoldAsync(server);

        var (exitCode, output) = await CliAsync(server, "tls-reports", "send", "--now");

        Assert.True(exitCode == 0, output);
        using var report = JsonDocument.Parse(Gunzip(Assert.Single(policyServer.Posts).Body));
        var policy = Assert.Single(report.RootElement.GetProperty("policies").EnumerateArray());
        Assert.Equal("sts", policy.GetProperty("policy").GetProperty("policy-type").GetString());
        Assert.Equal(["version: STSv1", "mode: enforce", $"mx: mx.{Domain}", "max_age: 86400"], policy.GetProperty("policy").GetProperty("policy-string").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal([$"mx.{Domain}"], policy.GetProperty("policy").GetProperty("mx-host").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal("certificate-not-trusted", policy.GetProperty("failure-details")[0].GetProperty("result-type").GetString());
    }

    [Fact]
    public async Task ListAndShow_PrintTheDaysCounts_AndTheReportJson()
    {
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var server = await StartAsync(plain.Port);
        var attempts = await HoldAsync(server);
        var today = DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

        var (listExit, list) = await CliAsync(server, "tls-reports", "list");
        var (showExit, show) = await CliAsync(server, "tls-reports", "show", today, Domain);

        Assert.True(listExit == 0, list);
        Assert.Contains($"{today}\t{Domain}\t0 successful\t{attempts} failed", list);
        Assert.True(showExit == 0, show);
        AssertStartTlsReport(show, attempts);
    }

    [Fact]
    public async Task Delivery_IsStillRecorded_WhenItsTlsCountsCannotBe()
    {
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var server = await StartAsync(plain.Port);
        await using (var scope = server.Services.CreateAsyncScope())
        {
            // The counts' table is gone: every upsert fails inside the outcome's transaction.
            await scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>().Database.ExecuteSqlRawAsync("DROP TABLE \"TlsSessionCounts\"");
        }

        var attempts = await HoldAsync(server);

        Assert.True(attempts > 0);
        var bob = (await server.RecipientsAsync()).Single(r => r.Message!.Kind == MessageKind.Submitted);
        Assert.Equal((RecipientStatus.HeldForPickup, FailureReason.StartTlsNotSupported), (bob.Status, bob.Reason));
    }

    [Theory]
    [InlineData("ContactInfo", "nobody", "SecureFallback:TlsReports:ContactInfo 'nobody' is neither a mail address nor an http(s) URL")]
    [InlineData("SpreadHours", "24", "SecureFallback:TlsReports:SpreadHours must be 0-23")]
    public async Task Start_WithAnUnusableReportSetting_StopsWithAMessageNamingIt(string setting, string value, string message)
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => SecureFallbackInstance.StartAsync(
            new Dictionary<string, string> { [$"SecureFallback:TlsReports:{setting}"] = value }));

        Assert.Contains(message, error.Message);
    }

    [Fact]
    public async Task Settings_DefaultToTheBrandingName_AndNoticesFrom_AndAreNotCheckedWhenReportingIsOff()
    {
        await using var branded = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Branding:OrganizationName"] = "Example Health",
            ["SecureFallback:Notices:From"] = "notices@example.test",
        });
        await using var off = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:TlsReports:Enabled"] = "false",
            ["SecureFallback:TlsReports:ContactInfo"] = "nobody",
        });

        var options = branded.Services.GetRequiredService<IOptions<TlsReportOptions>>().Value;
        Assert.Equal(("Example Health", "notices@example.test", "example.test", 4), (options.OrganizationName, options.ContactInfo, options.Submitter, options.SpreadHours));
        Assert.False(off.Services.GetRequiredService<IOptions<TlsReportOptions>>().Value.Enabled);
    }

    /// <summary>Submits a message to bob at the domain and waits until it is held and the queue is idle.</summary>
    /// <returns>The TLS session attempts made at the domain (its pickup notice's too).</returns>
    private static async Task<long> HoldAsync(SecureFallbackInstance server)
    {
        await server.SendAsync("alice@sender.test", [$"bob@{Domain}"], "Statement", "body");
        await server.WaitForRecipientsAsync(r => r.Any(x => x.Message!.Kind == MessageKind.Submitted && x.Status == RecipientStatus.HeldForPickup));
        await server.WaitForIdleQueueAsync();
        return (await server.AttemptsAsync()).Count(a => a.Host == $"mx.{Domain}" && a.RequiredLevel is not null
            && a.Reason is FailureReason.StartTlsNotSupported or FailureReason.CertificateNotTrusted);
    }

    private static void AssertStartTlsReport(string json, long attempts)
    {
        using var report = JsonDocument.Parse(json);
        var root = report.RootElement;
        Assert.Equal("securefallback.test", root.GetProperty("organization-name").GetString());
        Assert.Equal("postmaster@securefallback.test", root.GetProperty("contact-info").GetString());
        var policy = Assert.Single(root.GetProperty("policies").EnumerateArray());
        Assert.Equal("no-policy-found", policy.GetProperty("policy").GetProperty("policy-type").GetString());
        Assert.Equal(Domain, policy.GetProperty("policy").GetProperty("policy-domain").GetString());
        Assert.True(attempts > 0);
        Assert.Equal(attempts, policy.GetProperty("summary").GetProperty("total-failure-session-count").GetInt64());
        var detail = Assert.Single(policy.GetProperty("failure-details").EnumerateArray());
        Assert.Equal("starttls-not-supported", detail.GetProperty("result-type").GetString());
        Assert.Equal("127.0.0.1", detail.GetProperty("receiving-ip").GetString());
        Assert.Equal("127.0.0.1", detail.GetProperty("sending-mta-ip").GetString());
        Assert.Equal($"mx.{Domain}", detail.GetProperty("receiving-mx-hostname").GetString());
    }

    private Task<SecureFallbackInstance> StartAsync(int deliveryPort, Dictionary<string, string>? more = null) =>
        SecureFallbackInstance.StartAsync(new Dictionary<string, string>(Settings(deliveryPort).Concat(more ?? [])));

    private Dictionary<string, string> Settings(int deliveryPort) => new Dictionary<string, string>
    {
        ["SecureFallback:Dns:Servers:0"] = _dns.EndPoint.ToString(),
        ["SecureFallback:Delivery:TrustedRoots:0"] = _ca.WriteRootPem(_caDirectory),
        ["SecureFallback:Delivery:Port"] = deliveryPort.ToString(CultureInfo.InvariantCulture),
        ["SecureFallback:Delivery:PollInterval"] = "00:00:01",
        ["SecureFallback:Notices:DkimKeyPath"] = _dkim.KeyPath,
        ["SecureFallback:Notices:DkimSelector"] = "sf2026",
        ["SecureFallback:TlsReports:AllowPrivateEndpoints"] = _allowPrivateEndpoints ? "true" : "false",
    }.Where(s => _dkimSigned || !s.Key.StartsWith("SecureFallback:Notices:Dkim", StringComparison.Ordinal)).ToDictionary();

    private Task<(int ExitCode, string Output)> CliAsync(SecureFallbackInstance server, params string[] words) =>
        CliRunner.RunAsync([.. words, .. SecureFallbackInstance.BaseArguments(server.DataDirectory), .. Settings(0).Where(s => s.Key != "SecureFallback:Delivery:Port").Select(s => $"--{s.Key}={s.Value}")], "");

    private static string Gunzip(byte[] gzip)
    {
        using var reader = new StreamReader(new GZipStream(new MemoryStream(gzip), CompressionMode.Decompress));
        return reader.ReadToEnd();
    }

    public async Task DisposeAsync()
    {
        await _dns.DisposeAsync();
        _ca.Dispose();
        _dkim.Dispose();
        Directory.Delete(_caDirectory, recursive: true);
    }
}
