using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using MimeKit;
using SecureFallback.Core.Messages;
using SecureFallback.Protection;

namespace SecureFallback.Benchmarks;

/// <summary>
/// Reading a sealed 25 MB message (an 18 MB attachment, base64) the ways the server does: the portal and delivery
/// parse it and stream the attachment out; the inbox and notices read headers only. "Whole" is the former
/// decrypt-into-one-array path, kept here as the baseline. The Allocated column is the memory each way needs.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class LargeMessageReading
{
    private readonly string _keys = Directory.CreateTempSubdirectory("sf-bench-keys-").FullName;
    private ChunkedAesGcmProtector _protector = null!;
    private MessageContent _content = null!;

    [GlobalSetup]
    public void Setup()
    {
        _protector = new ChunkedAesGcmProtector(MasterKeyRing.LoadOrCreate(_keys));
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("alice@sender.test"));
        message.To.Add(MailboxAddress.Parse("carol@plain.test"));
        message.Subject = "Scans";
        var body = new BodyBuilder { TextBody = "The scans are attached." };
        body.Attachments.Add("scans.bin", RandomNumberGenerator.GetBytes(18 * 1024 * 1024));
        message.Body = body.ToMessageBody();
        using var buffer = new MemoryStream();
        message.WriteTo(buffer);
        _content = _protector.Seal(Guid.NewGuid(), buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
        Console.WriteLine($"// sealed message: {buffer.Length / 1024.0 / 1024.0:F1} MiB plaintext, {_content.Ciphertext.Length / 1024.0 / 1024.0:F1} MiB ciphertext");
    }

    [Benchmark(Baseline = true)]
    public long Whole_DecryptToArray_ParseAndDecodeAttachment()
    {
        using var message = MimeMessage.Load(new MemoryStream(_protector.Open(_content), writable: false));
        return DecodeAttachment(message);
    }

    [Benchmark]
    public long Streamed_PersistentParseAndDecodeAttachment()
    {
        using var stream = _protector.OpenRead(_content);
        using var message = MimeMessage.Load(ParserOptions.Default, stream, persistent: true);
        return DecodeAttachment(message);
    }

    [Benchmark]
    public int Streamed_HeadersOnly()
    {
        using var stream = _protector.OpenRead(_content);
        return HeaderList.Load(stream).Count;
    }

    private static long DecodeAttachment(MimeMessage message)
    {
        var counter = new CountingStream();
        ((MimePart)message.Attachments.Single()).Content!.DecodeTo(counter);
        return counter.Length;
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_keys, recursive: true);

    /// <summary>A sink that only counts, standing in for the HTTP response or the SMTP connection.</summary>
    private sealed class CountingStream : Stream
    {
        private long _length;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => _length;

        public override long Position { get => _length; set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => _length += count;

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
