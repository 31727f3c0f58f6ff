using System.Buffers;
using System.Text;

namespace SecureFallback.Smtp.Tests;

public sealed class DataLinesTests
{
    [Theory]
    [InlineData("a\r\nb\r\n", false)]
    [InlineData("", false)]
    [InlineData("a\nb", true)]
    [InlineData("a\rb", true)]
    [InlineData("a\r\n.\n", true)]
    [InlineData("a\r", true)]
    public void DataLines_FindsBareCrOrLf(string data, bool expected) =>
        Assert.Equal(expected, DataLines.Scan(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(data))).HasBareLineEnding);

    [Fact]
    public void DataLines_FindsACrLfSplitAcrossSegments()
    {
        var first = new Segment("line\r"u8.ToArray());
        var last = first.Append("\nnext\r\n"u8.ToArray());
        Assert.False(DataLines.Scan(new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length)).HasBareLineEnding);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] data) => Memory = data;

        public Segment Append(byte[] data)
        {
            var next = new Segment(data) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }
}
