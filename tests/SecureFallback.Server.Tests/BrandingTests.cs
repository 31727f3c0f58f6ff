using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

public sealed class BrandingTests
{
    [Fact]
    public async Task FrontPage_WithoutAConfiguredName_SaysThisOrganisation_NeverTheHostName_AndTheStartWarns()
    {
        var log = new CapturedLog();
        await using var server = await SecureFallbackInstance.StartAsync(services: log.AddTo);
        using var http = new HttpClient { BaseAddress = server.WebAddress };

        var page = await http.GetStringAsync("/");

        Assert.Contains("this organisation", page);
        Assert.DoesNotContain(Environment.MachineName, page);
        Assert.Contains(log.Entries, e => e.Event.Id == 7001 && e.Level == LogLevel.Warning);
    }

    [Theory]
    [InlineData("SecureFallback:Branding:OrganizationName")]
    [InlineData("SecureFallback:Portal:OrganizationName")] // the older name still works
    public async Task FrontPage_NamesTheConfiguredOrganisation_AndTheStartDoesNotWarn(string setting)
    {
        var log = new CapturedLog();
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string> { [setting] = "Example Health Ltd" }, services: log.AddTo);
        using var http = new HttpClient { BaseAddress = server.WebAddress };

        var page = await http.GetStringAsync("/");

        Assert.Contains("Example Health Ltd", page);
        Assert.DoesNotContain(log.Entries, e => e.Event.Id == 7001);
    }
}
