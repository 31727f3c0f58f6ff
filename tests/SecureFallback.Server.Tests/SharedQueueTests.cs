using Microsoft.Extensions.Logging;
using Npgsql;
using SecureFallback.TestKit;
using Xunit.Abstractions;

namespace SecureFallback.Server.Tests;

/// <summary>
/// Scale-out: two real server processes on one PostgreSQL database (a private cluster on loopback) share the queue
/// through row leases. 2,000 messages go in through both intakes; one instance is SIGKILLed mid-run and the other
/// takes over its claims when they lapse. Nothing acknowledged may be lost, and no message may be delivered by
/// both instances. Loopback only, bounded in count and time.
/// </summary>
[Collection(nameof(SharedQueueTests))]
public sealed class SharedQueueTests(ITestOutputHelper output)
{
    private const int MessagesPerIntake = 1000;
    private const int KillAfterAcknowledgedByB = 400;

    /// <summary>How long a claim lasts here (5 min by default): the survivor takes the dead one's work up after it.</summary>
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task TwoInstances_OnePostgres_OneSigkilled_DeliverEveryMessageOnce_AndNothingTwiceWhileBothLive()
    {
        var database = "sf_shared_" + Guid.NewGuid().ToString("N")[..12];
        var connectionString = TestDatabase.PostgresConnectionString(database);
        await using var receiver = await TlsSmtpReceiver.StartAsync();
        var (dataA, dataB) = (SecureFallbackInstance.NewDataDirectory(), SecureFallbackInstance.NewDataDirectory());
        var (portA, portB) = (TestPorts.Free(), TestPorts.Free());
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(6));

        string[] Arguments(string name, string data, int port) =>
        [
            .. SecureFallbackInstance.BaseArguments(data).Where(a => !a.Contains("Database:Provider") && !a.Contains("ConnectionStrings")),
            "--SecureFallback:Database:Provider=postgres",
            $"--ConnectionStrings:SecureFallback={connectionString}",
            $"--SecureFallback:InstanceName={name}",
            $"--SecureFallback:Intake:Port={port}",
            $"--SecureFallback:Delivery:LeaseDuration={Lease}",
            $"--SecureFallback:Delivery:Routes:a.shared.test={receiver.Route}",
            $"--SecureFallback:Delivery:Routes:b.shared.test={receiver.Route}",
        ];

        var started = TimeProvider.System.GetTimestamp();
        using var a = ServerProcess.Start(Arguments("instance-a", dataA, portA));
        await a.WaitForIntakeAsync(portA);
        SharedInstances.CopyKeyEncryptionKey(dataA, dataB);
        using var b = ServerProcess.Start(Arguments("instance-b", dataB, portB));
        await b.WaitForIntakeAsync(portB);

        var senderA = new LoadSender(portA, "r@a.shared.test");
        var senderB = new LoadSender(portB, "r@b.shared.test");
        using var stopB = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
        var loadA = senderA.RunAsync([.. Enumerable.Range(0, MessagesPerIntake)], 4, deadline.Token);
        var loadB = senderB.RunAsync([.. Enumerable.Range(MessagesPerIntake, MessagesPerIntake)], 4, stopB.Token);

        while (senderB.Acknowledged.Count < KillAfterAcknowledgedByB && !loadB.IsCompleted)
        {
            await Task.Delay(10, deadline.Token);
        }

        var claimedByB = await ClaimedByAsync(connectionString, "instance-b");
        b.Kill(); // SIGKILL: its claims stay in the database until they lapse
        var receivedAtKill = receiver.Messages.Count;
        output.WriteLine($"killed B at {senderB.Acknowledged.Count} acknowledged by B, {receiver.Messages.Count} received, {claimedByB} recipients claimed by B, after {TimeProvider.System.GetElapsedTime(started)}");
        await stopB.CancelAsync();
        await loadB.ContinueWith(_ => { }, TaskScheduler.Default);

        // What B never took, the sending server sends to the other smart host, as a real one fails over.
        var neverTakenByB = Enumerable.Range(MessagesPerIntake, MessagesPerIntake)
            .Where(id => !senderB.Acknowledged.ContainsKey(id) && !senderB.Unanswered.ContainsKey(id) && !senderB.Refused.ContainsKey(id))
            .ToList();
        var failover = new LoadSender(portA, "r@b.shared.test");
        await failover.RunAsync(neverTakenByB, 4, deadline.Token);
        await loadA;

        var acknowledged = senderA.Acknowledged.Keys.Concat(senderB.Acknowledged.Keys).Concat(failover.Acknowledged.Keys).ToHashSet();
        var refused = senderA.Refused.Count + senderB.Refused.Count + failover.Refused.Count;
        await LoadSender.WaitUntilAsync(() => acknowledged.IsSubsetOf(LoadSender.ReceivedIds(receiver)), TimeSpan.FromMinutes(3), deadline.Token);
        var delivered = TimeProvider.System.GetElapsedTime(started);
        // B's claims lapse and A takes them up (and sends again what B had handed over but not recorded): only once
        // no claim is left is every delivery in.
        var claimsDeadline = TimeProvider.System.GetTimestamp();
        while (await ClaimedByAsync(connectionString, null) > 0 && TimeProvider.System.GetElapsedTime(claimsDeadline) < TimeSpan.FromMinutes(1))
        {
            await Task.Delay(250, deadline.Token);
        }

        await Task.Delay(TimeSpan.FromSeconds(3), deadline.Token);

        var received = LoadSender.ReceivedIds(receiver);
        var distinct = received.ToHashSet();
        var lost = acknowledged.Except(distinct).Count();
        var duplicateIds = received.GroupBy(id => id).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        // A copy taken by the receiver before the kill and again after it: B sent it but died before recording it.
        var firstCopies = received.Take(receivedAtKill).ToHashSet();
        var duplicatesWhileBothLive = received.Take(receivedAtKill).GroupBy(id => id).Count(g => g.Count() > 1);
        var inDoubtAtKill = duplicateIds.Count(firstCopies.Contains);
        var claimsLeft = await ClaimedByAsync(connectionString, null);
        output.WriteLine(
            $"acknowledged {acknowledged.Count}, refused {refused}, answer lost {senderB.Unanswered.Count}, delivered {distinct.Count} in {delivered}, " +
            $"lost {lost}, duplicates {received.Count - distinct.Count} (while both live {duplicatesWhileBothLive}; in B's hands at the kill {inDoubtAtKill}), claims left {claimsLeft}");

        Assert.Equal(2 * MessagesPerIntake, acknowledged.Count + refused + senderB.Unanswered.Count);
        Assert.Equal(0, refused);
        Assert.Equal(0, lost);
        Assert.Equal(0, duplicatesWhileBothLive);
        Assert.Equal(0, claimsLeft);
        // Every duplicate is one B handed over and had not recorded when it died: a connection's outcomes are
        // committed one behind its sends, so at most two per connection (two domains here). SMTP cannot do better
        // than a few: between the receiver's 250 and our commit, a kill leaves no trace of the handover on our side.
        // Nothing else is ever sent twice.
        Assert.Equal(duplicateIds.Count, inDoubtAtKill);
        var unrecordedBound = 2 * new SecureFallback.Delivery.DeliveryOptions().ConnectionsPerDomain * SecureFallback.Delivery.Queue.DomainDelivery.MostUnrecordedPerConnection;
        Assert.True(received.Count - distinct.Count <= Math.Min(unrecordedBound, claimedByB), $"{received.Count - distinct.Count} duplicates, bound {unrecordedBound}, {claimedByB} claims of B");
        Assert.True(received.Count - distinct.Count == duplicateIds.Count, "no message arrived three times");
        Assert.All(distinct.Except(acknowledged), id => Assert.Contains(id, senderB.Unanswered.Keys));
    }

    private static async Task<long> ClaimedByAsync(string connectionString, string? owner)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            owner is null
                ? "SELECT count(*) FROM \"Recipients\" WHERE \"LeaseOwner\" IS NOT NULL"
                : "SELECT count(*) FROM \"Recipients\" WHERE \"LeaseOwner\" = @owner",
            connection);
        command.Parameters.AddWithValue("owner", owner ?? "");
        return (long)(await command.ExecuteScalarAsync())!;
    }



}

/// <summary>
/// The portal behind a load balancer: two instances on one PostgreSQL database share the Data Protection key ring
/// (sealed in the database), so a sign-in cookie issued by one is honoured by the other.
/// </summary>
public sealed class SharedPortalTests
{
    [Fact]
    public async Task SignInCookie_FromOneInstance_IsGoodAtTheOther()
    {
        var connectionString = TestDatabase.PostgresConnectionString("sf_portal_" + Guid.NewGuid().ToString("N")[..12]);
        var (dataA, dataB) = (SecureFallbackInstance.NewDataDirectory(), SecureFallbackInstance.NewDataDirectory());
        await using var a = await SecureFallbackInstance.StartAsync(SharedInstances.Settings(connectionString, "portal-a"), dataA);
        SharedInstances.CopyKeyEncryptionKey(dataA, dataB);
        await using var b = await SecureFallbackInstance.StartAsync(SharedInstances.Settings(connectionString, "portal-b"), dataB);
        await a.AddPortalUserAsync("carol@partner.test", "Correct-Horse-Battery-9");

        using var atA = new PortalVisitor(a.WebAddress);
        await atA.SignInAsync("carol@partner.test", "Correct-Horse-Battery-9");
        using var inboxAtA = await atA.SendAsync(HttpMethod.Get, "/inbox");
        using var atB = atA.At(b.WebAddress);
        using var inboxAtB = await atB.SendAsync(HttpMethod.Get, "/inbox");
        using var strangerAtB = await new PortalVisitor(b.WebAddress).SendAsync(HttpMethod.Get, "/inbox");

        Assert.Equal(System.Net.HttpStatusCode.OK, inboxAtA.StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.OK, inboxAtB.StatusCode);
        Assert.Contains("carol@partner.test", await inboxAtB.Content.ReadAsStringAsync());
        Assert.Equal(System.Net.HttpStatusCode.Redirect, strangerAtB.StatusCode); // without the cookie: to the sign-in page
    }
}

/// <summary>
/// Split roles on PostgreSQL: mail an intake-only instance commits wakes the delivery-only instance at once
/// (NOTIFY/LISTEN). The delivering instance's poll is set to ten minutes, so only the wake-up can deliver the
/// message within the test's minute.
/// </summary>
public sealed class SharedWakeupTests
{
    [Fact]
    public async Task MailTakenInByOneInstance_WakesTheDeliveringInstance_WithoutWaitingForItsPoll()
    {
        var connectionString = TestDatabase.PostgresConnectionString("sf_wakeup_" + Guid.NewGuid().ToString("N")[..12]);
        await using var receiver = await TlsSmtpReceiver.StartAsync();
        Dictionary<string, string> Settings(string name, string roles) => new(SharedInstances.Settings(connectionString, name))
        {
            ["SecureFallback:Roles"] = roles,
            ["SecureFallback:Delivery:PollInterval"] = "00:10:00",
            ["SecureFallback:Delivery:Routes:wakeup.test"] = receiver.Route,
        };

        var (dataA, dataB) = (SecureFallbackInstance.NewDataDirectory(), SecureFallbackInstance.NewDataDirectory());
        await using var intake = await SecureFallbackInstance.StartAsync(Settings("intake", "Intake,Portal"), dataA);
        SharedInstances.CopyKeyEncryptionKey(dataA, dataB);
        await using var delivery = await SecureFallbackInstance.StartAsync(Settings("delivery", "Delivery"), dataB);
        await Task.Delay(TimeSpan.FromSeconds(2)); // the delivering instance has found the queue empty and sleeps

        await intake.SendAsync("alice@sender.test", ["bob@wakeup.test"], "wake up", "body");

        var received = await receiver.WaitForMessagesAsync(1, TimeSpan.FromMinutes(1));
        Assert.Equal(["bob@wakeup.test"], Assert.Single(received).To);
    }
}

/// <summary>
/// A compose file starts every instance at once on an empty database: one creates the database, the schema and
/// the first master key, the others wait or find them, and nobody logs an error an admin would have to look into.
/// </summary>
public sealed class SharedFirstStartTests
{
    [Fact]
    public async Task TwoInstances_StartingTogetherOnANewDatabase_BothStart_ShareOneKeyRing_AndLogNoError()
    {
        var connectionString = TestDatabase.PostgresConnectionString("sf_first_" + Guid.NewGuid().ToString("N")[..12]);
        var sharedKeys = Path.Combine(SecureFallbackInstance.NewDataDirectory(), "keys"); // one volume, as in compose
        var logs = new[] { new CapturedLog(), new CapturedLog() };
        var starting = logs.Select((log, i) => SecureFallbackInstance.StartAsync(
            new Dictionary<string, string>(SharedInstances.Settings(connectionString, $"first-{i}"))
            {
                ["SecureFallback:Protection:KeyDirectory"] = sharedKeys,
            },
            services: log.AddTo)).ToList();
        try
        {
            await Task.WhenAll(starting);

            Assert.All(logs.SelectMany(l => l.Entries), e => Assert.True(e.Level < LogLevel.Error, $"{e.Category}: {e.Message}"));
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var keys = new NpgsqlCommand("SELECT count(*) FROM \"MasterKeys\"", connection);
            Assert.Equal(1L, await keys.ExecuteScalarAsync());
        }
        finally
        {
            foreach (var instance in starting.Where(t => t.IsCompletedSuccessfully))
            {
                await (await instance).DisposeAsync();
            }
        }
    }
}

/// <summary>What the tests of several in-process instances on one PostgreSQL database set up alike.</summary>
internal static class SharedInstances
{
    /// <summary>The settings that put an instance named <paramref name="name"/> on the shared database.</summary>
    public static Dictionary<string, string> Settings(string connectionString, string name) => new()
    {
        ["SecureFallback:Database:Provider"] = "postgres",
        ["ConnectionStrings:SecureFallback"] = connectionString,
        ["SecureFallback:InstanceName"] = name,
    };

    /// <summary>
    /// The ring is in the database, sealed with the first instance's key-encryption key: the second gets a copy,
    /// as an admin would give it.
    /// </summary>
    public static void CopyKeyEncryptionKey(string fromDataDirectory, string toDataDirectory)
    {
        Directory.CreateDirectory(Path.Combine(toDataDirectory, "keys"));
        File.Copy(Path.Combine(fromDataDirectory, "keys", "kek.key"), Path.Combine(toDataDirectory, "keys", "kek.key"));
    }
}
