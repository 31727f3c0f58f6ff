using System.Buffers;
using System.Text;
using CsCheck;
using SecureFallback.Smtp;
using SmtpServer.Protocol;
using Xunit.Abstractions;

namespace SecureFallback.Fuzz.Tests;

/// <summary>
/// In process, without sockets: every command line the session guard passes on, after <see cref="CommandLineRewriter"/>,
/// must parse or be refused by SmtpServer's parser, never throw (a throw drops the session without a reply). Hundreds
/// of thousands of lines a second, where the loopback fuzzer reaches a few hundred sessions.
/// </summary>
public sealed class CommandParserFuzzTests(ITestOutputHelper output)
{
    [Fact]
    public void RewrittenCommandLines_NeverFaultSmtpServersParser()
    {
        FuzzInput.Mutated(CommandLines(), maxEdits: 4).Sample(
            input =>
            {
                var parser = new SmtpParser(new SmtpCommandFactory());
                foreach (var line in LinesAsTheGuardCutsThem(input))
                {
                    var rewritten = CommandLineRewriter.Rewrite(line);
                    // SmtpServer reads a command up to CRLF; whether the parser sees the CRLF or not, it must not throw.
                    var withEnding = new ReadOnlySequence<byte>(rewritten);
                    parser.TryMake(ref withEnding, out _, out _);
                    var withoutEnding = new ReadOnlySequence<byte>(rewritten.AsMemory(0, EndOfCommand(rewritten)));
                    parser.TryMake(ref withoutEnding, out _, out _);
                }
            },
            iter: FuzzBudget.Iterations(200_000),
            time: FuzzBudget.Time,
            writeLine: output.WriteLine,
            print: input => Encoding.Latin1.GetString(input).ReplaceLineEndings("\\n"));
    }

    /// <summary>Each command line of the SMTP corpus, as its own seed.</summary>
    private static byte[][] CommandLines() =>
        [.. FuzzInput.Corpus("smtp").SelectMany(LinesAsTheGuardCutsThem).DistinctBy(Encoding.Latin1.GetString)]; // Latin-1: one char per byte

    /// <summary>Lines ending at CRLF (a bare CR or LF stays inside), and what follows the last CRLF.</summary>
    private static IEnumerable<byte[]> LinesAsTheGuardCutsThem(byte[] input)
    {
        var start = 0;
        for (var i = 1; i < input.Length; i++)
        {
            if (input[i] == (byte)'\n' && input[i - 1] == (byte)'\r')
            {
                yield return input[start..(i + 1)];
                start = i + 1;
            }
        }

        if (start < input.Length)
        {
            yield return input[start..];
        }
    }

    private static int EndOfCommand(byte[] line) =>
        line.AsSpan().EndsWith("\r\n"u8) ? line.Length - 2 : line.Length;
}
