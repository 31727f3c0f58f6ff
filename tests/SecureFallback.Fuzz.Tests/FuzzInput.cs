using System.Text;
using CsCheck;

// One target at a time: CsCheck's synchronous samplers keep every core busy, and beside them a server under fuzz
// starved for thread-pool threads (no SMTP greeting for 26 s in a 10-minute run), which is not what a target tests.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace SecureFallback.Fuzz.Tests;

/// <summary>
/// Mutation-based inputs in the style of libFuzzer: a seed from the committed corpus (<c>Corpus/</c>), changed by a
/// few byte-level edits (flip, insert a dictionary token, delete, duplicate, splice another seed). CsCheck shrinks a
/// failing case to the smallest seed and fewest edits, and prints the seed to replay it.
/// </summary>
internal static class FuzzInput
{
    /// <summary>Tokens that matter to SMTP and MIME parsers: line ends, dots, delimiters, encodings, boundaries.</summary>
    private static readonly byte[][] Dictionary =
    [
        .. new[]
        {
            "\r\n", "\n", "\r", "\r\n.\r\n", "\n.\n", "\r.\r\n", "\r\n.\n", ".", "..", "\0", "<", ">", "@", "%", "!", ":", ";", "\"",
            "\\", "=", "MAIL FROM:<a@sender.test>\r\n", "RCPT TO:<x@example.test>\r\n", "DATA\r\n", "RSET\r\n", "QUIT\r\n",
            "STARTTLS\r\n", "AUTH PLAIN AGEAYg==\r\n", " SIZE=", " BODY=8BITMIME", " SMTPUTF8", "=?utf-8?B?", "=?x?Q?=00?=",
            "Content-Type: multipart/mixed; boundary=", "--", "Content-Transfer-Encoding: base64\r\n",
            "Content-Disposition: attachment; filename*=utf-8''%00", "<script>", "<img src=x onerror=alert(1)>", "javascript:",
        }.Select(Encoding.UTF8.GetBytes),
        [0xFF, 0xFE],
        [0xC3, 0x28],
        Encoding.ASCII.GetBytes(new string('A', 1100)),
    ];

    public static byte[][] Corpus(string folder) =>
        [.. Directory.EnumerateFiles(Path.Combine(AppContext.BaseDirectory, "Corpus", folder)).Order().Select(File.ReadAllBytes)];

    /// <summary>Seeds from <paramref name="seeds"/>, each with up to <paramref name="maxEdits"/> edits.</summary>
    public static Gen<byte[]> Mutated(byte[][] seeds, int maxEdits = 6) =>
        Gen.Select(
            Gen.Int[0, seeds.Length - 1],
            Gen.Select(Gen.Int[0, 4], Gen.Int[0, int.MaxValue], Gen.Int[1, 64], Gen.Int[0, int.MaxValue], (kind, at, length, pick) => new Edit(kind, at, length, pick)).Array[0, maxEdits],
            (seed, edits) => edits.Aggregate(seeds[seed], (input, edit) => edit.ApplyTo(input, seeds)));

    private sealed record Edit(int Kind, int At, int Length, int Pick)
    {
        public byte[] ApplyTo(byte[] input, byte[][] seeds)
        {
            var position = input.Length == 0 ? 0 : At % (input.Length + 1);
            var end = Math.Min(input.Length, position + Length);
            return Kind switch
            {
                0 when input.Length > 0 => Flip(input, At % input.Length, (byte)Pick),
                1 => [.. input.AsSpan(0, position), .. Dictionary[Pick % Dictionary.Length], .. input.AsSpan(position)],
                2 => [.. input.AsSpan(0, position), .. input.AsSpan(end)],
                3 => [.. input.AsSpan(0, end), .. input.AsSpan(position, end - position), .. input.AsSpan(end)],
                4 => Splice(input, position, seeds[Pick % seeds.Length]),
                _ => input,
            };
        }

        private static byte[] Flip(byte[] input, int index, byte mask)
        {
            var copy = (byte[])input.Clone();
            copy[index] ^= mask == 0 ? (byte)1 : mask;
            return copy;
        }

        private byte[] Splice(byte[] input, int position, byte[] other)
        {
            var from = other.Length == 0 ? 0 : Pick % other.Length;
            var take = Math.Min(Length * 4, other.Length - from);
            return [.. input.AsSpan(0, position), .. other.AsSpan(from, take), .. input.AsSpan(position)];
        }
    }
}

/// <summary>How long to fuzz: short in the test suite, longer with <c>FUZZ_SECONDS=600</c> (see README).</summary>
internal static class FuzzBudget
{
    public static long Iterations(long suiteDefault) => Seconds > 0 ? -1 : suiteDefault;

    public static int Time => Seconds > 0 ? Seconds : -1;

    private static int Seconds => int.TryParse(Environment.GetEnvironmentVariable("FUZZ_SECONDS"), out var seconds) ? seconds : 0;
}
