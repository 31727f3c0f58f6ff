using MimeKit;
using SecureFallback.Core.Delivery;
using SecureFallback.Core.Messages;
using SecureFallback.Core.Policies;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

/// <summary>TLS levels and failure actions against receivers with certificates made in code, reached through a test DNS.</summary>
public sealed class PolicyTests : IAsyncLifetime
{
    private readonly TestCertificateAuthority _ca = new();
    private readonly TestDnsServer _dns = new();
    private readonly string _caDirectory = Directory.CreateTempSubdirectory("sf-ca-").FullName;

    public Task InitializeAsync() => Task.CompletedTask;

    private Dictionary<string, string> Settings(params (string Key, string Value)[] extra)
    {
        var settings = new Dictionary<string, string>
        {
            ["SecureFallback:Dns:Servers:0"] = _dns.EndPoint.ToString(),
            ["SecureFallback:Delivery:TrustedRoots:0"] = _ca.WriteRootPem(_caDirectory),
        };
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }

        return settings;
    }

    /// <summary>A receiver for <paramref name="domain"/> whose MX is <c>mx.&lt;domain&gt;</c> on loopback.</summary>
    /// <summary>Sends one message to bob@<paramref name="domain"/> and returns his copy once it is no longer queued.</summary>
    private static async Task<QueuedRecipient> SendContractToBobAsync(SecureFallbackInstance server, string domain)
    {
        await server.SendAsync("alice@sender.test", [$"bob@{domain}"], "Contract", "body");
        bool IsBob(QueuedRecipient r) => r.Address == $"bob@{domain}" && r.Message!.Kind == MessageKind.Submitted;
        return (await server.WaitForRecipientsAsync(r => r.Any(x => IsBob(x) && x.Status != RecipientStatus.Queued))).Single(IsBob);
    }

    private async Task<(TlsSmtpReceiver Receiver, string Route)> PartnerAsync(string domain, System.Security.Cryptography.X509Certificates.X509Certificate2 certificate, string? mxHost = null)
    {
        mxHost ??= $"mx.{domain}";
        _dns.Address(mxHost, "127.0.0.1");
        var receiver = await TlsSmtpReceiver.StartAsync(mxHost, certificate: certificate);
        return (receiver, $"{mxHost}:{receiver.Port}");
    }

    public static TheoryData<string, string, string?> VerifyCases => new()
    {
        { "trusted", "verify", null },
        { "self-signed", "verify", FailureReason.CertificateNotTrusted },
        { "wrong-name", "verify", FailureReason.CertificateHostMismatch },
        { "expired", "verify", FailureReason.CertificateExpired },
        { "self-signed", "encrypt", null },
        { "mx-name-only", "secure", null },
        { "outsourced-mx", "verify", null },
        { "outsourced-mx", "secure", FailureReason.CertificateHostMismatch },
        { "domain-wildcard", "secure", null },
        { "trusted", "dane-only", FailureReason.DaneRequired },
    };

    [Theory]
    [MemberData(nameof(VerifyCases))]
    public async Task Level_IsMetOrTheMessageIsHeld_WithTheTlsRptReason(string certificateKind, string level, string? expectedReason)
    {
        const string domain = "partner.test";
        var certificate = certificateKind switch
        {
            "trusted" or "mx-name-only" => _ca.Issue([$"mx.{domain}"]),
            "self-signed" => TestCertificates.SelfSigned($"mx.{domain}"),
            "wrong-name" => _ca.Issue(["mail.elsewhere.test"]),
            "expired" => _ca.Issue([$"mx.{domain}"], DateTimeOffset.UtcNow.AddDays(-20), DateTimeOffset.UtcNow.AddDays(-1)),
            "outsourced-mx" => _ca.Issue(["mx.hosting.test"]),
            _ => _ca.Issue([$"*.{domain}"]),
        };
        // A provider's MX (outsourced-mx) has a valid certificate for its own name, not for the recipient domain.
        var (receiver, route) = await PartnerAsync(domain, certificate, certificateKind == "outsourced-mx" ? "mx.hosting.test" : null);
        await using var _ = receiver;
        await using var server = await SecureFallbackInstance.StartAsync(Settings(
            ($"SecureFallback:Delivery:Routes:{domain}", route),
            ($"SecureFallback:Policies:{domain}:Level", level)));

        var bob = await SendContractToBobAsync(server, domain);
        Assert.Equal(PolicyNames.TryParseLevel(level, out var parsed) ? parsed : throw new InvalidOperationException(), bob.PolicyLevel);
        Assert.Contains($"policy {domain}", bob.PolicySource);
        if (expectedReason is null)
        {
            Assert.Equal(RecipientStatus.Delivered, bob.Status);
            Assert.Single(receiver.Messages);
        }
        else
        {
            Assert.Equal(RecipientStatus.HeldForPickup, bob.Status);
            Assert.Equal(expectedReason, bob.Reason);
            // The TLS session was up, but not good enough: the message was not sent. The receiver may get bob's
            // pickup notice (content-free, so it goes over any TLS) at any moment after the hold.
            Assert.All(receiver.Messages, m => Assert.Contains("Auto-Submitted: auto-generated", m.Text));
            Assert.DoesNotContain(receiver.Messages, m => m.Text.Contains("Subject: Contract", StringComparison.Ordinal));
            var attempt = (await server.AttemptsAsync()).Last(a => a.RecipientId == bob.Id);
            Assert.Equal(parsed, attempt.RequiredLevel);
            Assert.Equal(expectedReason, attempt.Reason);
        }
    }

    [Theory]
    [InlineData("dane-only", "spki-sha256", true, null)]
    [InlineData("dane-only", "cert-sha256", true, null)]
    [InlineData("dane-only", "spki-sha256", false, FailureReason.DaneRequired)] // not DNSSEC-authenticated: ignored
    [InlineData("encrypt", "wrong", true, FailureReason.TlsaInvalid)] // validated records decide at every level
    public async Task Dane_ValidatedTlsaRecordsAuthenticateTheServer_UnvalidatedOnesAreIgnored(string level, string record, bool authenticated, string? expectedReason)
    {
        const string domain = "dane.test";
        var certificate = TestCertificates.SelfSigned($"mx.{domain}"); // DANE-EE(3) needs no CA and no name
        var (receiver, route) = await PartnerAsync(domain, certificate);
        await using var _ = receiver;
        var data = record switch
        {
            "spki-sha256" => System.Security.Cryptography.SHA256.HashData(certificate.PublicKey.ExportSubjectPublicKeyInfo()),
            "cert-sha256" => System.Security.Cryptography.SHA256.HashData(certificate.RawData),
            _ => new byte[32],
        };
        _dns.Tlsa($"_{receiver.Port}._tcp.mx.{domain}", 3, (byte)(record == "cert-sha256" ? 0 : 1), 1, data, authenticated);
        _dns.Authenticated.Add($"mx.{domain}"); // TLSA records count only for a host whose address answer is authenticated too
        await using var server = await SecureFallbackInstance.StartAsync(Settings(
            ($"SecureFallback:Delivery:Routes:{domain}", route),
            ($"SecureFallback:Policies:{domain}:Level", level)));

        var bob = await SendContractToBobAsync(server, domain);
        Assert.Equal(expectedReason is null ? RecipientStatus.Delivered : RecipientStatus.HeldForPickup, bob.Status);
        Assert.Equal(expectedReason, bob.Reason);
    }

    [Fact]
    public async Task Admin_SetsVerifyBounceRuleAndTestMode_AndEachMessageGoesItsOwnWay()
    {
        // partner-a: verify (trusted certificate); partner-b: bounce (no STARTTLS); partner-c: deliver-plain test mode
        // (no STARTTLS); and a [secure] subject rule that sends mail to pickup even when TLS works.
        var (verified, verifiedRoute) = await PartnerAsync("partner-a.test", _ca.Issue(["mx.partner-a.test"]));
        await using var _ = verified;
        await using var bounced = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var testMode = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var senderServer = await TlsSmtpReceiver.StartAsync("mx.sender.test");
        await using var server = await SecureFallbackInstance.StartAsync(Settings(
            ("SecureFallback:Delivery:Routes:partner-a.test", verifiedRoute),
            ("SecureFallback:Delivery:Routes:partner-b.test", bounced.Route),
            ("SecureFallback:Delivery:Routes:partner-c.test", testMode.Route),
            ("SecureFallback:Delivery:Routes:sender.test", senderServer.Route),
            ("SecureFallback:Policies:partner-a.test:Level", "verify"),
            ("SecureFallback:Policies:partner-b.test:OnFailure", "bounce"),
            ("SecureFallback:Policies:partner-c.test:OnFailure", "deliver-plain"),
            ("SecureFallback:Rules:0:SubjectContains", "[secure]"),
            ("SecureFallback:Rules:0:Action", "pickup")));

        await server.SendAsync("alice@sender.test", ["ann@partner-a.test"], "Minutes", "to partner A over verified TLS");
        await server.SendAsync("alice@sender.test", ["ben@partner-b.test"], "Invoice", "never in clear");
        await server.SendAsync("alice@sender.test", ["cat@partner-c.test"], "Test mode", "audit only");
        await server.SendAsync("alice@sender.test", ["ann@partner-a.test"], "[secure] Salary", "salary-figures-8841");

        // (Verbose on failure: this scenario crosses four receivers, so say what each recipient ended as.)
        List<QueuedRecipient> recipients = [];
        try
        {
            recipients = (await server.WaitForRecipientsAsync(r => r.Count(x => x.Message!.Kind == MessageKind.Submitted && x.Status != RecipientStatus.Queued) == 4))
                .Where(r => r.Message!.Kind == MessageKind.Submitted).ToList();
            var ann = recipients.Single(r => r.Address == "ann@partner-a.test" && r.Status == RecipientStatus.HeldForPickup);
            Assert.Equal(RecipientStatus.HeldForPickup, ann.Status);
            Assert.Equal(FailureReason.PolicyPickup, ann.Reason);
            Assert.Contains("rule 0 (subject contains [secure] → pickup)", ann.PolicySource);
            var annDelivered = recipients.Single(r => r.Address == "ann@partner-a.test" && r.Status == RecipientStatus.Delivered);
            Assert.Equal(TlsLevel.Verify, annDelivered.PolicyLevel);
            Assert.DoesNotContain(verified.Messages, m => m.Text.Contains("salary-figures-8841", StringComparison.Ordinal));
            Assert.Single(verified.Messages, m => m.Text.Contains("to partner A over verified TLS", StringComparison.Ordinal)); // (ann's pickup notice may arrive too)

            var ben = recipients.Single(r => r.Address == "ben@partner-b.test");
            Assert.Equal(RecipientStatus.Failed, ben.Status);
            Assert.Equal("5.7.10", ben.StatusCode);
            Assert.Equal(FailureAction.Bounce, ben.PolicyAction);
            Assert.False(bounced.ReceivedMailTransaction);

            var cat = recipients.Single(r => r.Address == "cat@partner-c.test");
            Assert.Equal(RecipientStatus.Delivered, cat.Status);
            Assert.Contains("WITHOUT TLS", cat.Diagnostic);
            var catAttempts = (await server.AttemptsAsync()).Where(a => a.RecipientId == cat.Id).ToList();
            Assert.Equal([DeliveryOutcome.TlsUnavailable, DeliveryOutcome.Delivered], catAttempts.Select(a => a.Outcome));
            Assert.Contains("audit only", Assert.Single(testMode.Messages).Text);

            // The sender hears of the bounce and of the hold; the rule-held notice says why without blaming anyone's server.
            var reports = (await senderServer.WaitForMessagesAsync(2)).Select(m => m.Parse()).ToList();
            Assert.Contains(reports, r => r.Subject?.StartsWith("Not delivered", StringComparison.Ordinal) == true);
            Assert.Contains(reports, r => r.Subject?.StartsWith("Held for secure pickup", StringComparison.Ordinal) == true && r.TextBody?.Contains("a rule of your organisation", StringComparison.Ordinal) == true);
        }
        catch (Exception ex) when (ex is Xunit.Sdk.XunitException or InvalidOperationException)
        {
            var trail = string.Join("\n", (await server.RecipientsAsync()).Select(r => $"{r.Address} {r.Message!.Kind} {r.Status} {r.Reason} {r.PolicySource} {r.Diagnostic}"));
            var attempts = string.Join("\n", (await server.AttemptsAsync()).Select(a => $"{a.RecipientId} {a.Host} {a.Outcome} {a.Reason} {a.SmtpReply}"));
            throw new Xunit.Sdk.XunitException($"{ex.Message}\nrecipients:\n{trail}\nattempts:\n{attempts}\nsender got: {string.Join(" | ", senderServer.Messages.Select(m => m.Parse().Subject))}");
        }
    }

    [Fact]
    public async Task RetryThenPickup_KeepsTryingTlsForTheSetTime_ThenHolds()
    {
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var server = await SecureFallbackInstance.StartAsync(Settings(
            ("SecureFallback:Delivery:Routes:plain.test", plain.Route),
            ("SecureFallback:Policies:plain.test:OnFailure", "retry-then-pickup"),
            ("SecureFallback:Policies:plain.test:RetryTlsFor", "00:00:03")));

        await server.SendAsync("alice@sender.test", ["carol@plain.test"], "Later", "body");

        static bool IsCarol(QueuedRecipient r) => r.Address == "carol@plain.test" && r.Message!.Kind == MessageKind.Submitted;
        var first = await server.WaitForRecipientsAsync(r => r.Any(x => IsCarol(x) && x.AttemptCount >= 1));
        Assert.Equal(RecipientStatus.Queued, first.Single(IsCarol).Status); // TLS failed, but the policy says: try again first
        var held = await server.WaitForRecipientsAsync(r => r.Any(x => IsCarol(x) && x.Status == RecipientStatus.HeldForPickup), TimeSpan.FromSeconds(30));
        Assert.True(held.Single(IsCarol).AttemptCount >= 2);
        Assert.False(plain.ReceivedMailTransaction && plain.Messages.Any(m => m.Text.Contains("body", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("trusted", 0, "verify    ok")]
    [InlineData("self-signed", 1, "verify    FAIL certificate-not-trusted")]
    public async Task CheckTls_ReportsTheHandshakeAndTheVerdictUnderThePolicy_WithoutSendingMail(string certificateKind, int expectedExit, string expectedLine)
    {
        const string domain = "partner.test";
        var certificate = certificateKind == "trusted" ? _ca.Issue([$"mx.{domain}"]) : TestCertificates.SelfSigned($"mx.{domain}");
        var (receiver, route) = await PartnerAsync(domain, certificate);
        await using var _ = receiver;
        var settings = Settings(
            ($"SecureFallback:Delivery:Routes:{domain}", route),
            ($"SecureFallback:Policies:{domain}:Level", "verify"),
            ($"SecureFallback:Policies:{domain}:OnFailure", "bounce"));

        using var process = ServerProcess.Start(["check-tls", domain, .. SecureFallbackInstance.BaseArguments(SecureFallbackInstance.NewDataDirectory()), .. settings.Select(s => $"--{s.Key}={s.Value}")]);
        var exitCode = await process.WaitForExitAsync(TimeSpan.FromSeconds(90));

        Assert.True(expectedExit == exitCode, process.Output);
        Assert.Contains($"policy: level verify, on failure bounce (policy {domain})", process.Output);
        Assert.Contains($"mx.{domain} [127.0.0.1]:{receiver.Port}", process.Output);
        Assert.Contains("STARTTLS: offered; Tls1", process.Output);
        Assert.Contains(expectedLine, process.Output);
        Assert.Contains("encrypt   ok", process.Output);
        Assert.Contains(expectedExit == 0 ? "verdict: mail gets TLS at level verify" : "it would go to: bounce", process.Output);
        Assert.Empty(receiver.Messages);
    }

    public async Task DisposeAsync()
    {
        await _dns.DisposeAsync();
        _ca.Dispose();
        Directory.Delete(_caDirectory, recursive: true);
    }
}
