using SecureFallback.Core.Messages;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

/// <summary>
/// Mail that streams in for a domain already being delivered to: it gets a connection of its own at once (up to
/// <c>Delivery:ConnectionsPerDomain</c>), instead of waiting until every connection of the earlier round is done.
/// </summary>
public sealed class StreamingDispatchTests
{
    [Fact]
    public async Task NewMail_ForADomainInFlight_GoesOutOnAnotherConnection_WhileTheFirstStillWaitsForItsReply()
    {
        await using var receiver = await TlsSmtpReceiver.StartAsync();
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Delivery:Routes:stream.test"] = receiver.Route,
        });
        receiver.ReplyDelay = TimeSpan.FromSeconds(40); // the first message's final dot waits for its reply this long
        await server.SendAsync("alice@sender.test", ["bob@stream.test"], "first", "first-body");
        await receiver.WaitForMessagesAsync(1, TimeSpan.FromSeconds(30));

        receiver.ReplyDelay = TimeSpan.Zero;
        await server.SendAsync("alice@sender.test", ["carol@stream.test"], "second", "second-body");

        // The second arrives while the first connection still waits: the domain gained a connection.
        var received = await receiver.WaitForMessagesAsync(2, TimeSpan.FromSeconds(20));
        Assert.Equal(2, received.Count);
        Assert.Equal(2, receiver.Sessions);
        var recipients = await server.RecipientsAsync();
        Assert.Equal(RecipientStatus.Queued, recipients.Single(r => r.Address == "bob@stream.test").Status);
    }
}
