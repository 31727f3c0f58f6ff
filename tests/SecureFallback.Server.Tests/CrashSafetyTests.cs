using SecureFallback.TestKit;
using Xunit.Abstractions;

namespace SecureFallback.Server.Tests;

/// <summary>
/// Nothing acknowledged is lost: the real executable is SIGKILLed three times under load, and restarted; every
/// message that got a 250 must arrive at the receiver. Loopback only, bounded in count and time.
/// </summary>
public sealed class CrashSafetyTests(ITestOutputHelper output)
{
    private const int Messages = 5000;
    private const int Connections = 8;
    private static readonly int[] KillAfterAcknowledged = [1200, 2500, 3800];

    [Fact]
    public async Task FiveThousandMessages_WithThreeSigkills_LoseNothingAcknowledged()
    {
        var dataDirectory = SecureFallbackInstance.NewDataDirectory();
        var intakePort = TestPorts.Free();
        await using var receiver = await TlsSmtpReceiver.StartAsync();
        string[] arguments =
        [
            .. SecureFallbackInstance.BaseArguments(dataDirectory),
            $"--SecureFallback:Intake:Port={intakePort}",
            $"--SecureFallback:Delivery:Routes:crash.test={receiver.Route}",
        ];
        var sender = new LoadSender(intakePort, "r@crash.test");
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(8));

        var started = TimeProvider.System.GetTimestamp();
        var server = ServerProcess.Start(arguments);
        try
        {
            await server.WaitForIntakeAsync(intakePort);
            var load = sender.RunAsync(Messages, Connections, deadline.Token);
            foreach (var threshold in KillAfterAcknowledged)
            {
                while (sender.Acknowledged.Count < threshold && !load.IsCompleted)
                {
                    await Task.Delay(20, deadline.Token);
                }

                output.WriteLine($"kill at {sender.Acknowledged.Count} acknowledged, {receiver.Messages.Count} received, after {TimeProvider.System.GetElapsedTime(started)}");
                server.Kill(); // SIGKILL mid-run: intake and delivery are both busy
                server.Dispose();
                server = ServerProcess.Start(arguments);
                await server.WaitForIntakeAsync(intakePort);
            }

            await load;
            output.WriteLine($"load done after {TimeProvider.System.GetElapsedTime(started)}; received so far {receiver.Messages.Count}");

            var acknowledged = sender.Acknowledged.Keys.ToHashSet();
            await LoadSender.WaitUntilAsync(() => acknowledged.IsSubsetOf(LoadSender.ReceivedIds(receiver)), TimeSpan.FromMinutes(4), deadline.Token);
            output.WriteLine($"all acknowledged delivered after {TimeProvider.System.GetElapsedTime(started)}");
            await Task.Delay(TimeSpan.FromSeconds(3)); // a pending redelivery would show up as a duplicate now

            var received = LoadSender.ReceivedIds(receiver);
            var distinct = received.ToHashSet();
            var lost = acknowledged.Except(distinct).Count();
            var duplicates = received.Count - distinct.Count;
            var storedWithoutAnswer = distinct.Except(acknowledged).Count();
            output.WriteLine(
                $"sent {Messages}, acknowledged {acknowledged.Count}, refused {sender.Refused.Count}, answer lost {sender.Unanswered.Count} " +
                $"(of which delivered {storedWithoutAnswer}), delivered {distinct.Count}, lost {lost}, duplicates {duplicates}, kills {KillAfterAcknowledged.Length}");

            Assert.Equal(0, lost);
            Assert.True(acknowledged.Count + sender.Refused.Count + sender.Unanswered.Count == Messages, "every message number was tried once");
            Assert.All(distinct.Except(acknowledged), id => Assert.Contains(id, sender.Unanswered.Keys)); // only those whose 250 was cut off
            // A duplicate can only be a message the receiver took while the process died before recording it:
            // a connection's outcomes are committed one behind its sends, so at most two per connection (8 to a
            // busy domain) per kill.
            var perKill = new SecureFallback.Delivery.DeliveryOptions().ConnectionsPerDomain * SecureFallback.Delivery.Queue.DomainDelivery.MostUnrecordedPerConnection;
            Assert.True(duplicates <= KillAfterAcknowledged.Length * perKill, $"{duplicates} duplicates");
        }
        finally
        {
            server.Dispose();
        }
    }




}

/// <summary>
/// A full disk: the data directory is a small tmpfs. The intake must answer 4xx (the client keeps the message and
/// retries), keep everything it acknowledged, and accept again once the space is back. Needs root to mount (CI runs
/// as root; elsewhere passwordless sudo).
/// </summary>
public sealed class DiskFullTests(ITestOutputHelper output)
{
    [Fact]
    public async Task DiskFull_IntakeAnswers4xx_LosesNothing_AndRecoversWhenSpaceReturns()
    {
        var dataDirectory = SecureFallbackInstance.NewDataDirectory();
        await MountAsync($"mount -t tmpfs -o size=12m,mode=0700 tmpfs {dataDirectory}");
        var server = (ServerProcess?)null;
        try
        {
            var intakePort = TestPorts.Free();
            var receiverPort = TestPorts.Free(); // nobody listens until the space is back: everything stays queued
            string[] arguments =
            [
                .. SecureFallbackInstance.BaseArguments(dataDirectory),
                $"--SecureFallback:Intake:Port={intakePort}",
                $"--SecureFallback:Delivery:Routes:full.test=127.0.0.1:{receiverPort}",
            ];
            server = ServerProcess.Start(arguments);
            await server.WaitForIntakeAsync(intakePort);

            // Fill the disk: 64 KB messages until the intake starts refusing.
            var filler = new LoadSender(intakePort, "r@full.test", messageBytes: 64 * 1024);
            using var enough = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            var filling = filler.RunAsync(1000, 4, enough.Token);
            while (filler.Refused.Count < 10 && !filling.IsCompleted)
            {
                await Task.Delay(50);
            }

            await enough.CancelAsync();
            await filling.ContinueWith(_ => { }, TaskScheduler.Default);
            output.WriteLine($"full: acknowledged {filler.Acknowledged.Count}, refused {filler.Refused.Count}, answer lost {filler.Unanswered.Count}; replies: {string.Join(" | ", filler.Refused.Values.Distinct())}");
            Assert.True(filler.Refused.Count >= 10, $"the disk never filled up; last problem: {filler.LastProblem}\n{server.Output}");
            Assert.All(filler.Refused.Values, reply => Assert.StartsWith("4", reply)); // temporary: the client keeps the message
            Assert.Empty(filler.Unanswered);

            // Space returns.
            await MountAsync($"mount -o remount,size=512m {dataDirectory}");
            var after = new LoadSender(intakePort, "r@full.test");
            await after.RunAsync(50, 2, CancellationToken.None);
            Assert.Equal(50, after.Acknowledged.Count);

            // Everything acknowledged, before and after, is delivered once the receiver is up.
            await using var receiver = await TlsSmtpReceiver.StartAsync(port: receiverPort);
            var expected = filler.Acknowledged.Count + after.Acknowledged.Count;
            await receiver.WaitForMessagesAsync(expected, TimeSpan.FromMinutes(2));
            await Task.Delay(TimeSpan.FromSeconds(2));
            Assert.Equal(expected, receiver.Messages.Count);
            Assert.False(server.HasExited, server.Output);
        }
        finally
        {
            server?.Dispose();
            await MountAsync($"umount {dataDirectory}");
        }
    }

    private static async Task MountAsync(string command)
    {
        var root = Environment.UserName == "root";
        var start = new System.Diagnostics.ProcessStartInfo(root ? "sh" : "sudo") { RedirectStandardError = true, RedirectStandardOutput = true };
        if (!root)
        {
            start.ArgumentList.Add("-n");
            start.ArgumentList.Add("sh");
        }

        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command);
        using var process = System.Diagnostics.Process.Start(start)!;
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"'{command}' failed ({error.Trim()}); this test needs root or passwordless sudo, as CI has");
    }
}
