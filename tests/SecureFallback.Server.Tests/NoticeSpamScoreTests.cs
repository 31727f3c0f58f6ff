using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using SecureFallback.TestKit;
using Xunit.Abstractions;

namespace SecureFallback.Server.Tests;

/// <summary>
/// A pickup notice, as delivered (DKIM-signed, captured by a receiver on loopback), is scored by SpamAssassin with its
/// local rules only: no network tests, no Bayes or auto-learning, no user preferences, a private home directory.
/// scripts/install-test-deps.sh installs spamassassin; a machine without it fails here, it does not skip.
/// </summary>
public sealed partial class NoticeSpamScoreTests(ITestOutputHelper output)
{
    private const double MaxScore = 2.0;

    [Theory]
    [InlineData("en", false)]
    [InlineData("de", false)]
    [InlineData("fr", false)]
    [InlineData("es", false)]
    [InlineData("nl", false)]
    [InlineData("de,en", true)] // a second-language line, and a logo configured (for the portal; not LogoInMail)
    public async Task PickupNotice_ScoresBelowTwo_WithSpamAssassinsLocalRules(string language, bool withLogo)
    {
        var directory = SecureFallbackInstance.NewDataDirectory();
        var keyPath = Path.Combine(directory, "dkim.pem");
        using (var rsa = System.Security.Cryptography.RSA.Create(2048))
        {
            await File.WriteAllTextAsync(keyPath, new string(System.Security.Cryptography.PemEncoding.Write("RSA PRIVATE KEY", rsa.ExportRSAPrivateKey())));
        }

        var settings = new Dictionary<string, string>
        {
            ["SecureFallback:Policies:plain.test:Language"] = language,
            ["SecureFallback:Notices:From"] = "notices@example.org",
            ["SecureFallback:Notices:DkimKeyPath"] = keyPath,
            ["SecureFallback:Notices:DkimSelector"] = "sf2026",
        };
        if (withLogo)
        {
            var logo = Path.Combine(directory, "logo.png");
            await File.WriteAllBytesAsync(logo, Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="));
            settings["SecureFallback:Branding:LogoPath"] = logo;
        }

        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var server = await NoticeLanguageTests.StartAsync(plain, settings);
        await server.SendAsync(NoticeLanguageTests.Original());
        var delivered = (await plain.WaitForMessagesAsync(1)).First();
        var parsed = delivered.Parse();
        Assert.DoesNotContain(parsed.BodyParts, p => p.ContentType.MediaType == "image"); // an inline part cost 2.8
        Assert.DoesNotContain("<img", parsed.HtmlBody!, StringComparison.Ordinal); // with LogoInMail: 2.8 points

        // Scored exactly as delivered, without a trace line: one from loopback would make SpamAssassin trust our
        // server and take a point off (ALL_TRUSTED), one from a documentation address would add RCVD_ILLEGAL_IP; the
        // relay rules (reverse DNS, HELO) judge a deployment's DNS, not the notice.
        var (score, rules, report) = await ScoreAsync(delivered.Content);

        output.WriteLine($"{language}{(withLogo ? " with logo" : "")}: score {score.ToString(CultureInfo.InvariantCulture)}, rules hit: {rules}");
        output.WriteLine(report);
        Assert.True(score < MaxScore, $"{language}: SpamAssassin score {score} (rules {rules})");
        Assert.Contains("HTML_MESSAGE", rules.Split(',')); // the rules were loaded: a low score is not an empty rule set
    }

    /// <summary>The positive control: with no rules loaded every message scores 0, and the notices would pass unjudged.</summary>
    [Fact]
    public async Task Gtube_ScoresAtLeast1000_SoSpamAssassinsRulesAreLoaded()
    {
        var gtube = """
            From: a@example.org
            To: b@example.org
            Subject: rules check
            Date: Thu, 01 Jan 2026 00:00:00 +0000
            Message-ID: <gtube@example.org>

            XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X

            """.ReplaceLineEndings("\r\n");

        var (score, rules, _) = await ScoreAsync(System.Text.Encoding.ASCII.GetBytes(gtube));

        Assert.True(score >= 1000, $"GTUBE scored {score} (rules {rules}): SpamAssassin's rules are not loaded; run scripts/install-test-deps.sh");
        Assert.Contains("GTUBE", rules.Split(','));
    }

    private static async Task<(double Score, string Rules, string Report)> ScoreAsync(byte[] message)
    {
        var home = Directory.CreateTempSubdirectory("sf-spamassassin-").FullName;
        try
        {
            var prefs = Path.Combine(home, "user_prefs");
            await File.WriteAllTextAsync(prefs, "");
            var start = new ProcessStartInfo("spamassassin")
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                // -L: local tests only (no DNS, no network); -t: test mode with the report; -x: create no prefs;
                // -p: an empty preferences file; Bayes and auto-learning off.
                ArgumentList = { "-L", "-t", "-x", "-p", prefs, "--cf=use_bayes 0", "--cf=bayes_auto_learn 0" },
            };
            start.Environment["HOME"] = home;
            using var process = Process.Start(start) ?? throw new InvalidOperationException("spamassassin did not start");
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            var reading = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var errors = process.StandardError.ReadToEndAsync(timeout.Token);
            await process.StandardInput.BaseStream.WriteAsync(message, timeout.Token);
            process.StandardInput.Close();
            await process.WaitForExitAsync(timeout.Token);
            var scored = await reading;
            var status = Unfold(scored).Split('\n').FirstOrDefault(l => l.StartsWith("X-Spam-Status:", StringComparison.Ordinal))
                ?? throw new InvalidOperationException($"spamassassin gave no X-Spam-Status (exit {process.ExitCode}): {await errors}");
            var score = double.Parse(Score().Match(status).Groups[1].Value, CultureInfo.InvariantCulture);
            var rules = Tests().Match(status).Groups[1].Value.Replace(" ", "", StringComparison.Ordinal);
            var report = scored[Math.Max(0, scored.IndexOf("Content analysis details", StringComparison.Ordinal))..];
            return (score, rules, report[..Math.Min(report.Length, 2000)]);
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }

    private static string Unfold(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace("\n\t", " ", StringComparison.Ordinal).Replace("\n ", " ", StringComparison.Ordinal);

    [GeneratedRegex(@"score=(-?[0-9.]+)")]
    private static partial Regex Score();

    [GeneratedRegex(@"tests=(.*?)\s+autolearn=")]
    private static partial Regex Tests();
}
