using System.Buffers;

namespace SecureFallback.Smtp;

/// <summary>Builds a <see cref="ReadOnlySequence{T}"/> of a head, an existing sequence and a tail, sharing their memory.</summary>
internal static class SequenceChain
{
    public static ReadOnlySequence<byte> Surround(ReadOnlyMemory<byte> head, in ReadOnlySequence<byte> body, ReadOnlyMemory<byte> tail)
    {
        var first = new Segment(head, 0);
        var last = first;
        foreach (var memory in body)
        {
            if (!memory.IsEmpty)
            {
                last = last.Append(memory);
            }
        }

        if (!tail.IsEmpty)
        {
            last = last.Append(tail);
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
