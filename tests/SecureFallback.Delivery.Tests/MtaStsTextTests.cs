using SecureFallback.Core.Policies;
using SecureFallback.Delivery.Policies;

namespace SecureFallback.Delivery.Tests;

public sealed class MtaStsTextTests
{
    [Theory]
    [InlineData("v=STSv1; id=20160831085700Z", "20160831085700Z")]
    [InlineData("v=STSv1;id=abc123;", "abc123")]
    [InlineData("v=STSv2; id=abc", null)]
    [InlineData("v=STSv1; id=has-dash", null)]
    [InlineData("v=spf1 -all", null)]
    public void TxtId_ReadsOnlyValidStsRecords(string txt, string? id) => Assert.Equal(id, MtaStsText.TxtId(txt));

    [Fact]
    public void Policy_WithCrLfAndSeveralMx_Parses()
    {
        var ok = MtaStsText.TryParsePolicy("version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmax_age: 604800\r\n", out var policy, out var maxAge, out var error);

        Assert.True(ok, error);
        Assert.Equal(MtaStsMode.Enforce, policy.Mode);
        Assert.Equal(TimeSpan.FromDays(7), maxAge);
        Assert.True(policy.AllowsMx("MAIL.example.com."));
        Assert.True(policy.AllowsMx("mx1.example.net"));
        Assert.False(policy.AllowsMx("a.b.example.net")); // the wildcard covers exactly one label
        Assert.False(policy.AllowsMx("example.net"));
    }

    [Theory]
    [InlineData("version: STSv1\nmode: enforce\nmax_age: 86400\n", "no mx patterns")]
    [InlineData("version: STSv1\nmode: strict\nmx: a.example\nmax_age: 86400\n", "mode 'strict'")]
    [InlineData("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 99999999\n", "max_age")]
    [InlineData("mode: enforce\nmx: a.example\nmax_age: 86400\n", "version")]
    public void Policy_ThatIsInvalid_IsRefusedWithTheReason(string text, string reason)
    {
        Assert.False(MtaStsText.TryParsePolicy(text, out _, out _, out var error));
        Assert.Contains(reason, error);
    }

    [Fact]
    public void AllowsMx_MatchesExactNamesCaseInsensitively() =>
        Assert.True(new MtaStsPolicy { MxPatterns = "mx.partner.test" }.AllowsMx("MX.Partner.Test"));
}
