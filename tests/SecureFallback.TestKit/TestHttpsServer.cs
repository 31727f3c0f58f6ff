using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SecureFallback.TestKit;

/// <summary>
/// An HTTPS server on loopback serving an MTA-STS policy file (and counting fetches), with a given certificate; it
/// also keeps whatever is POSTed to it (TLS reports to an <c>https:</c> rua).
/// </summary>
public sealed class TestHttpsServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestHttpsServer(WebApplication app) => _app = app;

    public int Port => new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;

    /// <summary>The policy text served at <c>/.well-known/mta-sts.txt</c>; change it to simulate an update.</summary>
    public string Policy { get; set; } = "";

    public int Fetches;

    /// <summary>Every POST: its path, Content-Type and body, in order of arrival.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<(string Path, string? ContentType, byte[] Body)> Posts { get; } = new();

    public static async Task<TestHttpsServer> StartAsync(X509Certificate2 certificate, string policy)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(certificate)));
        var app = builder.Build();
        var server = new TestHttpsServer(app) { Policy = policy };
        app.MapGet("/.well-known/mta-sts.txt", () =>
        {
            Interlocked.Increment(ref server.Fetches);
            return Results.Text(server.Policy, "text/plain");
        });
        app.MapPost("/{**path}", async (HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            server.Posts.Enqueue((request.Path, request.ContentType, body.ToArray()));
            return Results.Ok();
        });
        await app.StartAsync();
        return server;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
