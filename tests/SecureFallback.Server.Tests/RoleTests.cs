using System.Net;
using SecureFallback.Core.Messages;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

/// <summary><c>SecureFallback:Roles</c>: an instance does only what its roles say, and the others pick up the rest.</summary>
public sealed class RoleTests
{
    [Fact]
    public async Task IntakeOnly_QueuesWithoutDelivering_ThenADeliveryOnlyInstance_DeliversTheQueue()
    {
        await using var receiver = await TlsSmtpReceiver.StartAsync();
        var dataDirectory = SecureFallbackInstance.NewDataDirectory();
        var route = new Dictionary<string, string> { ["SecureFallback:Delivery:Routes:roles.test"] = receiver.Route };

        await using (var intake = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>(route) { ["SecureFallback:Roles"] = "Intake,Portal" }, dataDirectory))
        {
            await intake.SendAsync("alice@sender.test", ["bob@roles.test"], "queued here", "body");
            await Task.Delay(TimeSpan.FromSeconds(2)); // a delivery worker would have delivered it by now

            Assert.Equal(RecipientStatus.Queued, Assert.Single(await intake.RecipientsAsync()).Status);
            Assert.Empty(receiver.Messages);
            using var http = new HttpClient { BaseAddress = intake.WebAddress };
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz")).StatusCode); // healthy without a delivery worker
        }

        await using var delivery = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>(route) { ["SecureFallback:Roles"] = "Delivery" }, dataDirectory);
        await delivery.WaitForRecipientsAsync(r => r.Single().Status == RecipientStatus.Delivered);
        Assert.Single(receiver.Messages);
        Assert.Equal(0, delivery.IntakePort); // no SMTP listener on a delivery-only instance
        using var web = new HttpClient { BaseAddress = delivery.WebAddress };
        Assert.Equal(HttpStatusCode.NotFound, (await web.GetAsync("/login")).StatusCode); // no portal either
        Assert.Equal(HttpStatusCode.OK, (await web.GetAsync("/healthz")).StatusCode);
    }
}
