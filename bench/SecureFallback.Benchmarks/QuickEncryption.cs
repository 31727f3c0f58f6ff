using System.Diagnostics;
using System.Security.Cryptography;
using SecureFallback.Protection;

namespace SecureFallback.Benchmarks;

/// <summary>
/// <c>encryption</c>: the at-rest encryption figures for bench/run.sh's table in a few seconds (BenchmarkDotNet's
/// <see cref="AtRestEncryption"/> has the careful version): best of three rounds of 20 runs sealing 25 MiB with our envelope,
/// into one array and into a stream (how large messages are stored), against raw AES-256-GCM in place and into a new
/// array. Prints <c>raw_MBps raw_new_array_MBps seal_MBps seal_to_stream_MBps</c>.
/// </summary>
internal static class QuickEncryption
{
    private const int Size = 25 * 1024 * 1024;

    public static int Run()
    {
        var plaintext = RandomNumberGenerator.GetBytes(Size);
        var ciphertext = new byte[Size];
        var (nonce, tag) = (new byte[12], new byte[16]);
        using var raw = new AesGcm(RandomNumberGenerator.GetBytes(32), 16);
        var protector = new ChunkedAesGcmProtector(MasterKeyRing.LoadOrCreate(Directory.CreateTempSubdirectory("sf-bench-keys-").FullName));
        var input = new System.Buffers.ReadOnlySequence<byte>(plaintext);

        // Three interleaved rounds, best of each kind: a noisy neighbour or a frequency change hits all three alike.
        var (rawInPlace, rawNewArray, seal, sealToStream) = (double.MaxValue, double.MaxValue, double.MaxValue, double.MaxValue);
        for (var round = 0; round < 3; round++)
        {
            rawInPlace = Math.Min(rawInPlace, Best(() => raw.Encrypt(nonce, plaintext, ciphertext, tag)));
            rawNewArray = Math.Min(rawNewArray, Best(() => raw.Encrypt(nonce, plaintext, GC.AllocateUninitializedArray<byte>(Size), tag)));
            seal = Math.Min(seal, Best(() => protector.Seal(Guid.NewGuid(), input)));
            // How a large message is stored on SQLite: chunk by chunk through one 64 KiB buffer into the BLOB.
            sealToStream = Math.Min(sealToStream, Best(() => protector.SealTo(Guid.NewGuid(), input, Stream.Null)));
        }

        static double MBps(double seconds) => Size / 1e6 / seconds;
        Console.WriteLine(FormattableString.Invariant($"{MBps(rawInPlace):F0} {MBps(rawNewArray):F0} {MBps(seal):F0} {MBps(sealToStream):F0}"));
        return 0;
    }

    private static double Best(Action work)
    {
        var best = double.MaxValue;
        for (var i = 0; i < 20; i++)
        {
            var started = Stopwatch.GetTimestamp();
            work();
            best = Math.Min(best, Stopwatch.GetElapsedTime(started).TotalSeconds);
        }

        return best;
    }
}
