using System.Net;
using System.Xml.Linq;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

public sealed class PortalLogoTests
{
    private const string HostileSvg = """
        <?xml version="1.0"?>
        <svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 10 10" onload="alert(1)">
          <script>alert(2)</script>
          <script xlink:href="https://evil.example/x.js"/>
          <circle id="dot" cx="5" cy="5" r="4" fill="#1f4e79" onclick="alert(3)" style="fill:url(https://evil.example/a)"/>
          <image href="https://evil.example/track.png" width="1" height="1"/>
          <use xlink:href="https://evil.example/sprite.svg#a"/>
          <a href="javascript:alert(4)"><text x="1" y="9">Example</text></a>
          <foreignObject width="10" height="10"><div xmlns="http://www.w3.org/1999/xhtml">html</div></foreignObject>
          <set attributeName="onmouseover" to="alert(5)"/>
          <animate attributeName="href" values="javascript:alert(6)"/>
          <style>.a{fill:u<tspan>x</tspan>rl(https://evil.example/style-element)}</style>
          <rect class="a" width="2" height="2" style="fill:image-set('https://evil.example/image-set' 1x)"/>
          <rect width="2" height="2" fill="-webkit-image-set(url-less 'https://evil.example/webkit' 1x)"/>
        </svg>
        """;

    [Fact]
    public async Task HostileSvgLogo_IsServedWithoutScriptsHandlersForeignObjectsOrExternalReferences_UnderARestrictiveCsp()
    {
        var logo = Path.Combine(Path.GetTempPath(), $"logo-{Guid.NewGuid():N}.svg");
        await File.WriteAllTextAsync(logo, HostileSvg);
        try
        {
            await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string> { ["SecureFallback:Branding:LogoPath"] = logo });
            using var http = new HttpClient { BaseAddress = server.WebAddress };

            var answer = await http.GetAsync("/branding/logo");
            var svg = await answer.Content.ReadAsStringAsync();

            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            Assert.Equal("image/svg+xml", answer.Content.Headers.ContentType!.MediaType);
            Assert.Equal("default-src 'none'; style-src 'unsafe-inline'", answer.Headers.GetValues("Content-Security-Policy").Single());
            Assert.Equal("nosniff", answer.Headers.GetValues("X-Content-Type-Options").Single());
            Assert.Contains("max-age", answer.Headers.CacheControl!.ToString());
            foreach (var hostile in new[] { "script", "onload", "onclick", "onmouseover", "evil.example", "javascript", "foreignObject", "xhtml", "<set", "<animate", "<image", "<use", "<style", "image-set" })
            {
                Assert.DoesNotContain(hostile, svg, StringComparison.OrdinalIgnoreCase);
            }

            var root = XDocument.Parse(svg).Root!; // still a well-formed SVG, with its drawing kept
            Assert.Equal("svg", root.Name.LocalName);
            Assert.Contains(root.Descendants(), e => e.Name.LocalName == "circle" && (string?)e.Attribute("fill") == "#1f4e79");
            Assert.Contains(root.Descendants(), e => e.Name.LocalName == "text" && e.Value == "Example");
        }
        finally
        {
            File.Delete(logo);
        }
    }

    [Fact]
    public async Task PngLogo_RemovedAfterTheStart_IsStillServed_BecauseItWasReadAtTheStart()
    {
        var logo = Path.Combine(Path.GetTempPath(), $"logo-{Guid.NewGuid():N}.png");
        var png = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==");
        await File.WriteAllBytesAsync(logo, png);
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string> { ["SecureFallback:Branding:LogoPath"] = logo });
        File.Delete(logo);
        using var http = new HttpClient { BaseAddress = server.WebAddress };

        var answer = await http.GetAsync("/branding/logo");

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal(png, await answer.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/")).StatusCode);
    }

    [Fact]
    public async Task LogoFile_WithADoctype_OrAPngNameWithoutThePngSignature_StopsTheStart()
    {
        var svg = Path.Combine(Path.GetTempPath(), $"logo-{Guid.NewGuid():N}.svg");
        var png = Path.Combine(Path.GetTempPath(), $"logo-{Guid.NewGuid():N}.png");
        await File.WriteAllTextAsync(svg, """<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg xmlns="http://www.w3.org/2000/svg">&x;</svg>""");
        await File.WriteAllTextAsync(png, "<svg xmlns=\"http://www.w3.org/2000/svg\"/>");
        try
        {
            foreach (var (path, says) in new[] { (svg, "SVG"), (png, "PNG") })
            {
                var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
                    await (await SecureFallbackInstance.StartAsync(new Dictionary<string, string> { ["SecureFallback:Branding:LogoPath"] = path })).DisposeAsync());
                Assert.Contains("SecureFallback:Branding:LogoPath", error.Message);
                Assert.Contains(says, error.Message);
            }
        }
        finally
        {
            File.Delete(svg);
            File.Delete(png);
        }
    }
}
