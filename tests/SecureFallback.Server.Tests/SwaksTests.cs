using System.Diagnostics;
using SecureFallback.Core.Messages;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

/// <summary>The README's walk-through, driven by swaks (Debian package) as a real, independent SMTP client.</summary>
public sealed class SwaksTests
{
    [Fact]
    public async Task Swaks_ThroughTheIntake_DeliversToTheTlsReceiverAndHoldsTheOneWithoutTlsForPickup()
    {
        await using var tls = await TlsSmtpReceiver.StartAsync();
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var senderServer = await TlsSmtpReceiver.StartAsync("mx.sender.test");
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Delivery:Routes:tls.test"] = tls.Route,
            ["SecureFallback:Delivery:Routes:plain.test"] = plain.Route,
            ["SecureFallback:Delivery:Routes:sender.test"] = senderServer.Route,
        });

        var first = await SwaksAsync(server.IntakePort, "bob@tls.test", "--tls");
        var second = await SwaksAsync(server.IntakePort, "carol@plain.test");

        Assert.Contains("<~  250 2.0.0 Ok: queued as", first); // "~" marks lines inside TLS
        Assert.Contains("<-  250 2.0.0 Ok: queued as", second);
        Assert.True(Assert.Single(await tls.WaitForMessagesAsync(1)).OverTls);
        var dsn = Assert.Single(await senderServer.WaitForMessagesAsync(1));
        Assert.Contains("Action: relayed", dsn.Text);
        Assert.Contains("held for secure pickup", dsn.Text);
        // The server without TLS gets the content-free pickup notice, never the message.
        var notice = Assert.Single(await plain.WaitForMessagesAsync(1));
        Assert.Equal(["carol@plain.test"], notice.To);
        Assert.DoesNotContain("hello from swaks", notice.Text, StringComparison.Ordinal);
        var recipients = await server.WaitForRecipientsAsync(r => r.Count(x => x.Status != RecipientStatus.Queued) == 4);
        Assert.Equal(RecipientStatus.Delivered, recipients.Single(r => r.Address == "bob@tls.test").Status);
        Assert.Equal(RecipientStatus.HeldForPickup, recipients.Single(r => r.Address == "carol@plain.test" && r.Message!.Kind == MessageKind.Submitted).Status);
    }

    private static async Task<string> SwaksAsync(int port, string to, params string[] extra)
    {
        var start = new ProcessStartInfo("swaks")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "--server", $"127.0.0.1:{port}", "--from", "alice@sender.test", "--to", to, "--header", "Subject: swaks test", "--body", "hello from swaks" }.Concat(extra))
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("swaks is not installed: run scripts/install-test-deps.sh");
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, "swaks failed:\n" + output);
        return output;
    }
}
