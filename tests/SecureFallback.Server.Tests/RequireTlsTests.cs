using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;
using SecureFallback.Core.Delivery;
using SecureFallback.Core.Messages;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

/// <summary>REQUIRETLS (RFC 8689) from intake to the next hop, and the TLS-Required: No header.</summary>
public sealed class RequireTlsTests : IAsyncLifetime
{
    private readonly TestCertificateAuthority _ca = new();
    private readonly TestDnsServer _dns = new();
    private readonly string _caDirectory = Directory.CreateTempSubdirectory("sf-ca-").FullName;

    public Task InitializeAsync() => Task.CompletedTask;

    private static MimeMessage Message(string to, string subject, string? tlsRequired = null)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("alice@sender.test"));
        message.To.Add(MailboxAddress.Parse(to));
        message.Subject = subject;
        if (tlsRequired is not null)
        {
            message.Headers.Add("TLS-Required", tlsRequired);
        }

        message.Body = new TextPart("plain") { Text = "body" };
        return message;
    }

    /// <summary>Submits over STARTTLS with REQUIRETLS, as a REQUIRETLS-aware client (MailKit) does.</summary>
    private static async Task SubmitWithRequireTlsAsync(SecureFallbackInstance server, MimeMessage message)
    {
        using var client = new SmtpClient { RequireTLS = true, ServerCertificateValidationCallback = (_, _, _, _) => true };
        await client.ConnectAsync("127.0.0.1", server.IntakePort, SecureSocketOptions.StartTls);
        Assert.True(client.Capabilities.HasFlag(SmtpCapabilities.RequireTLS));
        await client.SendAsync(message);
        await client.DisconnectAsync(true);
    }

    [Fact]
    public async Task Intake_OffersRequireTlsOnlyInsideTls_AndRefusesItInClear()
    {
        await using var server = await SecureFallbackInstance.StartAsync();
        await using var plain = await RawSmtpClient.ConnectAsync(server.IntakePort);
        var ehlo = await plain.CommandAsync("EHLO client.test");
        Assert.DoesNotContain("REQUIRETLS", ehlo);
        Assert.Contains("Hello client.test", ehlo);

        // Refused at MAIL, before any content crosses the unencrypted hop (RFC 8689 4.1: offered only inside TLS).
        var mail = await plain.CommandAsync("MAIL FROM:<alice@sender.test> REQUIRETLS");
        Assert.Matches(@"^5\d\d 5\.7\.10 REQUIRETLS needs a TLS session", mail);
        Assert.DoesNotContain("retry(ies)", mail);
        Assert.StartsWith("5", await plain.CommandAsync("RCPT TO:<bob@partner.test>"));
        Assert.StartsWith("5", await plain.CommandAsync("DATA")); // no 354: no content in clear
        Assert.StartsWith("250", await plain.CommandAsync("RSET"));
        Assert.Empty(await server.RecipientsAsync());
    }

    [Theory]
    [InlineData(false, FailureReason.RequireTlsNotSupported)]
    [InlineData(true, null)]
    public async Task RequireTlsMessage_GoesOnlyToAVerifiedHopThatOffersRequireTls_ElseToPickup(bool hopOffersRequireTls, string? expectedReason)
    {
        _dns.Address("mx.partner.test", "127.0.0.1");
        await using var receiver = await TlsSmtpReceiver.StartAsync("mx.partner.test", certificate: _ca.Issue(["mx.partner.test"]), offerRequireTls: hopOffersRequireTls);
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Dns:Servers:0"] = _dns.EndPoint.ToString(),
            ["SecureFallback:Delivery:TrustedRoots:0"] = _ca.WriteRootPem(_caDirectory),
            ["SecureFallback:Delivery:Routes:partner.test"] = $"mx.partner.test:{receiver.Port}",
        });

        await SubmitWithRequireTlsAsync(server, Message("bob@partner.test", "Strictly TLS"));

        static bool IsBob(QueuedRecipient r) => r.Address == "bob@partner.test" && r.Message!.Kind == MessageKind.Submitted;
        var bob = (await server.WaitForRecipientsAsync(r => r.Any(x => IsBob(x) && x.Status != RecipientStatus.Queued))).Single(IsBob);
        Assert.True(bob.Message!.RequireTls);
        Assert.Contains("REQUIRETLS", bob.PolicySource);
        Assert.Equal(Core.Policies.TlsLevel.Verify, bob.PolicyLevel);
        if (expectedReason is null)
        {
            Assert.Equal(RecipientStatus.Delivered, bob.Status);
            Assert.True(Assert.Single(receiver.Messages).RequireTls); // the promise travels on: MAIL FROM ... REQUIRETLS
        }
        else
        {
            Assert.Equal(RecipientStatus.HeldForPickup, bob.Status);
            Assert.Equal(expectedReason, bob.Reason);
            Assert.DoesNotContain(receiver.Messages, m => m.Text.Contains("Strictly TLS", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task TlsRequiredNo_WherePolicyHonoursIt_AsksForDeliveryEvenWithoutTls_AndIsRecorded()
    {
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Delivery:Routes:plain.test"] = plain.Route,
            ["SecureFallback:Policies:plain.test:HonourTlsRequiredNo"] = "true",
        });

        await server.SendAsync(Message("carol@plain.test", "Newsletter", tlsRequired: "No"));

        var carol = (await server.WaitForRecipientsAsync(r => r.Any(x => x.Address == "carol@plain.test" && x.Status != RecipientStatus.Queued))).Single();
        Assert.Equal(RecipientStatus.Delivered, carol.Status);
        Assert.EndsWith("; TLS-Required: No", carol.PolicySource);
        Assert.Contains("WITHOUT TLS", carol.Diagnostic);
        Assert.Contains("Newsletter", Assert.Single(plain.Messages).Text);
    }

    [Fact]
    public async Task TlsRequiredNo_WithoutHonourTlsRequiredNo_IsIgnored_AndTheDomainLevelHolds()
    {
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Delivery:Routes:plain.test"] = plain.Route,
            ["SecureFallback:Policies:plain.test:Level"] = "verify",
            ["SecureFallback:Policies:plain.test:OnFailure"] = "pickup",
        });

        await server.SendAsync(Message("carol@plain.test", "Payroll", tlsRequired: "No"));

        static bool IsCarol(QueuedRecipient r) => r.Address == "carol@plain.test" && r.Message!.Kind == MessageKind.Submitted;
        var carol = (await server.WaitForRecipientsAsync(r => r.Any(x => IsCarol(x) && x.Status != RecipientStatus.Queued))).Single(IsCarol);
        Assert.Equal(RecipientStatus.HeldForPickup, carol.Status);
        Assert.Equal(Core.Policies.TlsLevel.Verify, carol.PolicyLevel);
        Assert.Contains("TLS-Required: No ignored (policy does not honour it)", carol.PolicySource);
        Assert.DoesNotContain(plain.Messages, m => m.Text.Contains("Payroll", StringComparison.Ordinal));
    }

    public async Task DisposeAsync()
    {
        await _dns.DisposeAsync();
        _ca.Dispose();
        Directory.Delete(_caDirectory, recursive: true);
    }
}
