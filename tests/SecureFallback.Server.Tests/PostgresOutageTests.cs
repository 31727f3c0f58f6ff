using SecureFallback.TestKit;
using Xunit.Abstractions;

namespace SecureFallback.Server.Tests;

/// <summary>
/// PostgreSQL goes away for several seconds in the middle of a bounded load (as in a restart or fail-over): every
/// message is answered 250 (and delivered) or 4xx, never 5xx, and none is lost. On a private cluster of its own,
/// which it stops and starts; loopback only, bounded in count and time.
/// </summary>
public sealed class PostgresOutageTests(ITestOutputHelper output)
{
    private const int Messages = 300;
    private const int LateMessages = 20;
    private const int StopAfterAcknowledged = 60;

    /// <summary>
    /// Longer than the key ring's "is there a newer master key?" poll (30 s, in the database on PostgreSQL), so mail
    /// that arrives late in the outage also meets sealing asking the database, not only the commit.
    /// </summary>
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(32);

    [Fact]
    public async Task PostgresStoppedMidLoad_EveryMessageGets250AndIsDelivered_Or4xx_NeverABounce()
    {
        using var postgres = PrivatePostgres.Start();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        await using var receiver = await TlsSmtpReceiver.StartAsync();
        await using var server = await SecureFallbackInstance.StartAsync(new Dictionary<string, string>
        {
            ["SecureFallback:Database:Provider"] = "postgres",
            ["ConnectionStrings:SecureFallback"] = $"{postgres.ConnectionString};Database=sf_outage",
            ["SecureFallback:Delivery:Routes:outage.test"] = receiver.Route,
        });
        var sender = new LoadSender(server.IntakePort, "r@outage.test");

        var load = sender.RunAsync(Messages, 4, deadline.Token);
        await LoadSender.WaitUntilAsync(() => sender.Acknowledged.Count >= StopAfterAcknowledged || load.IsCompleted, TimeSpan.FromMinutes(1), deadline.Token);
        postgres.Stop();
        var stoppedAt = sender.Acknowledged.Count;
        await Task.Delay(Outage, deadline.Token);
        await load;
        var late = new LoadSender(server.IntakePort, "r@outage.test");
        await late.RunAsync([.. Enumerable.Range(Messages, LateMessages)], 4, deadline.Token);
        var duringOutage = (sender.Acknowledged.Count - stoppedAt, sender.Refused.Count);
        postgres.Restart();

        // A real client keeps a 4xx'd message and tries again later: once PostgreSQL is back, every one is taken.
        var retry = new LoadSender(server.IntakePort, "r@outage.test");
        await retry.RunAsync([.. sender.Refused.Keys, .. late.Refused.Keys], 4, deadline.Token);

        var acknowledged = sender.Acknowledged.Keys.Concat(late.Acknowledged.Keys).Concat(retry.Acknowledged.Keys).ToHashSet();
        await LoadSender.WaitUntilAsync(() => acknowledged.IsSubsetOf(LoadSender.ReceivedIds(receiver)), TimeSpan.FromMinutes(2), deadline.Token);
        var replies = sender.Refused.Values.Concat(late.Refused.Values).GroupBy(r => r.Split(' ')[0] + " " + r.Split(' ').ElementAtOrDefault(1)).Select(g => $"{g.Key} x{g.Count()}");
        output.WriteLine(
            $"stopped after {stoppedAt} acknowledged; during the outage {duringOutage.Item1} more acknowledged, {duringOutage.Item2} refused; " +
            $"first round {sender.Acknowledged.Count} acknowledged, {sender.Refused.Count} refused ({string.Join(", ", replies)}), {sender.Unanswered.Count} unanswered; late {late.Acknowledged.Count} acknowledged, {late.Refused.Count} refused; " +
            $"retried {retry.Acknowledged.Count} acknowledged, {retry.Refused.Count} refused; last problem: {sender.LastProblem}");

        Assert.Empty(sender.Unanswered.Keys.Concat(late.Unanswered.Keys));
        Assert.NotEmpty(sender.Refused); // the outage was felt
        Assert.Equal(LateMessages, late.Refused.Count);
        Assert.DoesNotContain(sender.Refused.Values.Concat(late.Refused.Values), reply => reply.StartsWith('5')); // never a bounce
        Assert.All(sender.Refused.Values.Concat(late.Refused.Values), reply => Assert.StartsWith("451 4.3.0", reply));
        Assert.Empty(retry.Refused);
        Assert.Equal(Messages + LateMessages, acknowledged.Count);
        Assert.Subset(LoadSender.ReceivedIds(receiver).ToHashSet(), acknowledged); // every acknowledged one delivered
    }
}
