using System.Buffers;
using Microsoft.Extensions.DependencyInjection;
using SecureFallback.Core.Intake;
using SecureFallback.Core.Messages;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

/// <summary>A fault while storing is never a bounce: the client gets 451 4.3.0 and keeps the message for later.</summary>
public sealed class IntakeFaultTests
{
    private static readonly Dictionary<string, string> HoldDeliveries = new()
    {
        ["SecureFallback:Delivery:Routes:example.test"] = "127.0.0.1:9",
        ["SecureFallback:Delivery:RetrySchedule:0"] = "01:00:00",
    };

    [Theory]
    [InlineData("cancelled commit")]
    [InlineData("database gone")]
    [InlineData("sealing fault")]
    public async Task Data_WhenStoringFaults_Gets451_AndTheSameSessionCanTryAgain(string fault)
    {
        var faults = new FaultSwitch();
        await using var server = await SecureFallbackInstance.StartAsync(HoldDeliveries, services: services =>
        {
            if (fault == "sealing fault")
            {
                // The key ring asking the database, say: sealing happens in AcceptAsync, before the group commit.
                Decorate<IContentProtector>(services, inner => new FaultingProtector(inner, faults, new InvalidOperationException("key ring unavailable")));
            }
            else
            {
                Exception error = fault == "cancelled commit" ? new OperationCanceledException() : new TimeoutException("database failing over");
                Decorate<IMessageIntake>(services, inner => new FaultingIntake(inner, faults, error));
            }
        });
        await using var client = await RawSmtpClient.ConnectAsync(server.IntakePort);

        Assert.StartsWith("354", await client.StartDataAsync("alice@sender.test", "bob@example.test"));
        var failed = await client.CommandAsync("Subject: first try\r\n\r\nbody\r\n.");
        faults.Off();
        await client.CommandAsync("MAIL FROM:<alice@sender.test>");
        await client.CommandAsync("RCPT TO:<bob@example.test>");
        await client.CommandAsync("DATA");
        var retried = await client.CommandAsync("Subject: second try\r\n\r\nbody\r\n.");

        Assert.StartsWith("451 4.3.0", failed);
        Assert.StartsWith("250", retried);
        Assert.Single(await server.RecipientsAsync());
    }

    private static void Decorate<T>(IServiceCollection services, Func<T, T> decorate)
        where T : class
    {
        var original = services.Last(d => d.ServiceType == typeof(T));
        services.AddSingleton(sp => decorate(original.ImplementationFactory is { } factory
            ? (T)factory(sp)
            : (T)(original.ImplementationInstance ?? ActivatorUtilities.CreateInstance(sp, original.ImplementationType!))));
    }

    private sealed class FaultSwitch
    {
        private volatile bool _on = true;

        public void Off() => _on = false;

        public void ThrowIfOn(Exception error)
        {
            if (_on)
            {
                throw error;
            }
        }
    }

    private sealed class FaultingIntake(IMessageIntake inner, FaultSwitch faults, Exception error) : IMessageIntake
    {
        public Task<Guid> AcceptAsync(IncomingMessage message, CancellationToken cancellationToken)
        {
            faults.ThrowIfOn(error);
            return inner.AcceptAsync(message, cancellationToken);
        }
    }

    private sealed class FaultingProtector(IContentProtector inner, FaultSwitch faults, Exception error) : IContentProtector
    {
        public MessageContent Seal(Guid messageId, in ReadOnlySequence<byte> plaintext)
        {
            faults.ThrowIfOn(error);
            return inner.Seal(messageId, plaintext);
        }

        public MessageContent SealTo(Guid messageId, in ReadOnlySequence<byte> plaintext, Stream destination)
        {
            faults.ThrowIfOn(error);
            return inner.SealTo(messageId, plaintext, destination);
        }

        public long SealedLength(long plaintextLength) => inner.SealedLength(plaintextLength);

        public Stream OpenRead(MessageContent content) => inner.OpenRead(content);

        public Stream OpenRead(MessageContent keys, Stream sealedBody) => inner.OpenRead(keys, sealedBody);

        public byte[] Open(MessageContent content) => inner.Open(content);
    }
}
