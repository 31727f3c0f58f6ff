using System.Diagnostics;
using SecureFallback.TestKit;
using Xunit.Abstractions;

namespace SecureFallback.Server.Tests;

/// <summary>
/// The intake's STARTTLS as a scanner sees it, through OpenSSL's own client: TLS 1.2 and 1.3 only, and under
/// TLS 1.2 only forward-secret AEAD suites. (testssl.sh gives the same picture; see README "Hardening".)
/// </summary>
public sealed class IntakeTlsQualityTests(ITestOutputHelper output) : IAsyncLifetime
{
    private SecureFallbackInstance _server = null!;

    public async Task InitializeAsync() => _server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>());

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [InlineData("-tls1_2", "ECDHE-RSA-AES256-GCM-SHA384")]
    [InlineData("-tls1_2", "ECDHE-RSA-AES128-GCM-SHA256")]
    [InlineData("-tls1_2", "ECDHE-RSA-CHACHA20-POLY1305")]
    [InlineData("-tls1_3", null)]
    public async Task StartTls_WithAStrongProtocolAndSuite_Connects(string protocol, string? cipher)
    {
        var result = await HandshakeAsync(protocol, cipher);

        Assert.True(result.Connected, result.Output);
    }

    [Theory]
    [InlineData("-tls1", null)]
    [InlineData("-tls1_1", null)]
    [InlineData("-tls1_2", "AES128-SHA")] // RSA key exchange, CBC, SHA-1
    [InlineData("-tls1_2", "AES256-GCM-SHA384")] // RSA key exchange: no forward secrecy
    [InlineData("-tls1_2", "AES128-SHA256")]
    [InlineData("-tls1_2", "ECDHE-RSA-AES128-SHA")] // CBC with SHA-1
    [InlineData("-tls1_2", "ECDHE-RSA-AES256-SHA384")] // CBC
    [InlineData("-tls1_2", "DHE-RSA-AES128-GCM-SHA256")] // finite-field DH
    [InlineData("-tls1_2", "CAMELLIA128-SHA")] // (3DES cannot be offered by Debian's OpenSSL 3 client at all)
    [InlineData("-tls1_2", "aNULL")] // anonymous
    [InlineData("-tls1_2", "eNULL")] // no encryption
    public async Task StartTls_WithAWeakProtocolOrSuite_IsRefused(string protocol, string? cipher)
    {
        var result = await HandshakeAsync(protocol, cipher);

        Assert.False(result.Connected, result.Output);
        Assert.True(result.ClientOffered, $"OpenSSL could not even offer {protocol} {cipher}, so the check proves nothing: {result.Output}");
    }

    private async Task<(bool Connected, bool ClientOffered, string Output)> HandshakeAsync(string protocol, string? cipher)
    {
        var start = new ProcessStartInfo("openssl")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add("s_client");
        foreach (var argument in new[] { "-starttls", "smtp", "-connect", $"127.0.0.1:{_server.IntakePort}", protocol })
        {
            start.ArgumentList.Add(argument);
        }

        // Security level 0 lets the client offer what a modern OpenSSL would not, so the refusal is the server's.
        start.ArgumentList.Add(protocol == "-tls1_3" ? "-ciphersuites" : "-cipher");
        start.ArgumentList.Add(protocol == "-tls1_3" ? "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256" : $"{cipher ?? "ALL"}@SECLEVEL=0");

        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var text = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));

        var connected = text.Contains("Cipher is ", StringComparison.Ordinal) && !text.Contains("Cipher is (NONE)", StringComparison.Ordinal);
        var offered = !text.Contains("no cipher match", StringComparison.OrdinalIgnoreCase) &&
            !text.Contains("no ciphers available", StringComparison.OrdinalIgnoreCase) &&
            !text.Contains("unknown option", StringComparison.OrdinalIgnoreCase);
        output.WriteLine($"{protocol} {cipher}: {(connected ? "connected" : "refused")}{(offered ? "" : " (client could not offer it)")}");
        return (connected, offered, text);
    }
}
