using System.Security.Cryptography;
using SecureFallback.Core.Messages;

namespace SecureFallback.Protection.Tests;

public sealed class ChunkedAesGcmProtectorTests : IDisposable
{
    private readonly string _keyDirectory = Directory.CreateTempSubdirectory("sf-keys-").FullName;

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(ChunkedAesGcmProtector.ChunkSize - 1)]
    [InlineData(ChunkedAesGcmProtector.ChunkSize)]
    [InlineData(ChunkedAesGcmProtector.ChunkSize + 1)]
    [InlineData((3 * ChunkedAesGcmProtector.ChunkSize) + 17)]
    public void Seal_ThenOpen_ReturnsTheOriginalBytes(int length)
    {
        var protector = new ChunkedAesGcmProtector(MasterKeyRing.LoadOrCreate(_keyDirectory));
        var plaintext = RandomNumberGenerator.GetBytes(length);

        var sealedContent = protector.Seal(Guid.NewGuid(), plaintext);

        Assert.Equal(plaintext, protector.Open(sealedContent));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(ChunkedAesGcmProtector.ChunkSize)]
    [InlineData((3 * ChunkedAesGcmProtector.ChunkSize) + 17)]
    public void SealTo_AStream_WritesExactlyTheArrayForm_AndOpensFromTheStream(int length)
    {
        var protector = new ChunkedAesGcmProtector(MasterKeyRing.LoadOrCreate(_keyDirectory));
        var plaintext = RandomNumberGenerator.GetBytes(length);
        var id = Guid.NewGuid();
        using var sink = new MemoryStream();

        var keys = protector.SealTo(id, new System.Buffers.ReadOnlySequence<byte>(plaintext), sink);

        Assert.Empty(keys.Ciphertext);
        Assert.Equal(protector.SealedLength(length), sink.Length);
        using var opened = protector.OpenRead(keys, new MemoryStream(sink.ToArray()));
        using var copy = new MemoryStream();
        opened.CopyTo(copy);
        Assert.Equal(plaintext, copy.ToArray());
    }

    [Fact]
    public void OpenRead_FromAStream_RefusesATamperedChunk()
    {
        var protector = new ChunkedAesGcmProtector(MasterKeyRing.LoadOrCreate(_keyDirectory));
        var plaintext = RandomNumberGenerator.GetBytes((2 * ChunkedAesGcmProtector.ChunkSize) + 5);
        using var sink = new MemoryStream();
        var keys = protector.SealTo(Guid.NewGuid(), new System.Buffers.ReadOnlySequence<byte>(plaintext), sink);
        var tampered = sink.ToArray();
        tampered[1 + ChunkedAesGcmProtector.ChunkSize + ChunkedAesGcmProtector.TagSize + 3] ^= 1; // second chunk

        using var opened = protector.OpenRead(keys, new MemoryStream(tampered));

        Assert.Throws<ContentTamperedException>(() => opened.CopyTo(Stream.Null));
    }

    [Fact]
    public void Seal_OfASequenceSplitAcrossChunkBoundaries_OpensToTheSameBytes()
    {
        var protector = new ChunkedAesGcmProtector(MasterKeyRing.LoadOrCreate(_keyDirectory));
        var plaintext = RandomNumberGenerator.GetBytes((2 * ChunkedAesGcmProtector.ChunkSize) + 1000);
        var first = new Segment(plaintext.AsMemory(0, 70_000));
        var last = first.Append(plaintext.AsMemory(70_000, 3)).Append(plaintext.AsMemory(70_003));
        var id = Guid.NewGuid();

        var sealedContent = protector.Seal(id, new System.Buffers.ReadOnlySequence<byte>(first, 0, last, last.Memory.Length));

        Assert.Equal(plaintext, protector.Open(sealedContent));
    }

    [Fact]
    public void OpenRead_SeeksAndReadsAcrossChunkBoundaries_LikeTheOriginal()
    {
        var protector = new ChunkedAesGcmProtector(MasterKeyRing.LoadOrCreate(_keyDirectory));
        var plaintext = RandomNumberGenerator.GetBytes((3 * ChunkedAesGcmProtector.ChunkSize) + 17);
        using var stream = protector.OpenRead(protector.Seal(Guid.NewGuid(), plaintext));

        Assert.Equal(plaintext.Length, stream.Length);
        foreach (var (position, count) in new[] { (0, 10), (ChunkedAesGcmProtector.ChunkSize - 5, 10), (plaintext.Length - 3, 3), (70_000, 120_000), (1, 1) })
        {
            stream.Position = position;
            var read = new byte[count];
            stream.ReadExactly(read);
            Assert.Equal(plaintext.AsSpan(position, count).ToArray(), read);
        }

        stream.Seek(0, SeekOrigin.End);
        Assert.Equal(0, stream.Read(new byte[1]));
    }

    [Fact]
    public void OpenRead_OfATamperedLaterChunk_ServesTheGoodChunkButRefusesTheBadOne()
    {
        var protector = new ChunkedAesGcmProtector(MasterKeyRing.LoadOrCreate(_keyDirectory));
        var content = protector.Seal(Guid.NewGuid(), RandomNumberGenerator.GetBytes(2 * ChunkedAesGcmProtector.ChunkSize));
        content.Ciphertext[^5] ^= 1;
        using var stream = protector.OpenRead(content);

        stream.ReadExactly(new byte[ChunkedAesGcmProtector.ChunkSize]);
        Assert.Throws<ContentTamperedException>(() => stream.ReadExactly(new byte[1]));
    }

    [Theory]
    [InlineData(5)]
    [InlineData(16)]
    public void OpenRead_OfContentCutInsideTheLastTag_IsRefused(int kept)
    {
        var protector = new ChunkedAesGcmProtector(MasterKeyRing.LoadOrCreate(_keyDirectory));
        var content = protector.Seal(Guid.NewGuid(), RandomNumberGenerator.GetBytes(2 * ChunkedAesGcmProtector.ChunkSize));
        content.Ciphertext = content.Ciphertext[..(1 + ChunkedAesGcmProtector.ChunkSize + 16 + kept)];

        Assert.Throws<ContentTamperedException>(() =>
        {
            using var stream = protector.OpenRead(content);
            stream.CopyTo(Stream.Null);
        });
    }

    private sealed class Segment : System.Buffers.ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }

    [Fact]
    public void Seal_DoesNotContainThePlaintextAndUsesAFreshKeyEachTime()
    {
        var protector = new ChunkedAesGcmProtector(MasterKeyRing.LoadOrCreate(_keyDirectory));
        var plaintext = System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("Subject: secret marker\r\n", 100)));
        var id = Guid.NewGuid();

        var first = protector.Seal(id, plaintext);
        var second = protector.Seal(id, plaintext);

        Assert.True(first.Ciphertext.AsSpan().IndexOf("secret marker"u8) < 0);
        Assert.NotEqual(first.Ciphertext, second.Ciphertext);
        Assert.NotEqual(first.WrappedKey, second.WrappedKey);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(100)]
    [InlineData(-1)]
    public void Open_WithAFlippedCiphertextByte_IsRefused(int position)
    {
        var protector = new ChunkedAesGcmProtector(MasterKeyRing.LoadOrCreate(_keyDirectory));
        var content = protector.Seal(Guid.NewGuid(), RandomNumberGenerator.GetBytes(200_000));
        var index = position < 0 ? content.Ciphertext.Length + position : position;
        content.Ciphertext[index] ^= 0x01;

        Assert.Throws<ContentTamperedException>(() => protector.Open(content));
    }

    [Fact]
    public void Open_WithTheLastChunkCutOff_IsRefused()
    {
        var protector = new ChunkedAesGcmProtector(MasterKeyRing.LoadOrCreate(_keyDirectory));
        var content = protector.Seal(Guid.NewGuid(), RandomNumberGenerator.GetBytes(2 * ChunkedAesGcmProtector.ChunkSize));
        content.Ciphertext = content.Ciphertext[..(1 + ChunkedAesGcmProtector.ChunkSize + 16)];

        Assert.Throws<ContentTamperedException>(() => protector.Open(content));
    }

    [Fact]
    public void Open_UnderAnotherMessageId_IsRefused()
    {
        var protector = new ChunkedAesGcmProtector(MasterKeyRing.LoadOrCreate(_keyDirectory));
        var content = protector.Seal(Guid.NewGuid(), "hello"u8);
        content.MessageId = Guid.NewGuid();

        Assert.Throws<ContentTamperedException>(() => protector.Open(content));
    }

    [Fact]
    public void Open_WithTheWrongMasterKey_IsRefused()
    {
        var content = new ChunkedAesGcmProtector(MasterKeyRing.LoadOrCreate(_keyDirectory)).Seal(Guid.NewGuid(), "hello"u8);
        var otherDirectory = Directory.CreateTempSubdirectory("sf-keys-other-").FullName;
        try
        {
            var other = new ChunkedAesGcmProtector(MasterKeyRing.LoadOrCreate(otherDirectory));

            Assert.Throws<ContentTamperedException>(() => other.Open(content));
        }
        finally
        {
            Directory.Delete(otherDirectory, recursive: true);
        }
    }

    [Fact]
    public void KeyRing_AfterANewVersion_StillOpensWhatTheOldVersionSealed()
    {
        var id = Guid.NewGuid();
        var old = new ChunkedAesGcmProtector(MasterKeyRing.LoadOrCreate(_keyDirectory)).Seal(id, "hello"u8);

        var ring = MasterKeyRing.AddVersion(_keyDirectory);
        var protector = new ChunkedAesGcmProtector(ring);

        Assert.Equal(2, ring.CurrentVersion);
        Assert.Equal(2, protector.Seal(id, "x"u8).KeyVersion);
        Assert.Equal("hello"u8.ToArray(), protector.Open(old));
    }

    [Fact]
    public void Rewrap_MovesTheDataKeyToTheNewVersion_OnlyOnce_AndRefusesATamperedKey()
    {
        var id = Guid.NewGuid();
        var protector = new ChunkedAesGcmProtector(MasterKeyRing.LoadOrCreate(_keyDirectory));
        var content = protector.Seal(id, "hello"u8);
        MasterKeyRing.AddVersion(_keyDirectory); // as `keys rotate` in another process: this ring sees it on its own

        var (version, wrapped) = protector.Rewrap(id, content.KeyVersion, content.WrappedKey)!.Value;
        var rewrapped = new MessageContent { MessageId = id, KeyVersion = version, WrappedKey = wrapped, Ciphertext = content.Ciphertext };

        Assert.Equal(2, version);
        Assert.Equal("hello"u8.ToArray(), protector.Open(rewrapped));
        Assert.Null(protector.Rewrap(id, version, wrapped));
        wrapped[20] ^= 1;
        Assert.Throws<ContentTamperedException>(() => protector.Rewrap(id, 1, content.WrappedKey.Select((b, i) => i == 20 ? (byte)(b ^ 1) : b).ToArray()));
        Assert.False(protector.CanUnwrap(id, version, wrapped));
        Assert.Throws<ContentTamperedException>(() => protector.Rewrap(Guid.NewGuid(), 1, content.WrappedKey)); // bound to its message
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void KeyRing_CreatesItsKeyFileReadableByTheOwnerOnly()
    {
        MasterKeyRing.LoadOrCreate(_keyDirectory);

        var file = Assert.Single(Directory.GetFiles(_keyDirectory));
        Assert.Equal("master-v1.key", Path.GetFileName(file));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.Equal(MasterKeyRing.KeySize, new FileInfo(file).Length);
    }

    [Fact]
    public void KeyRing_WithACorruptKeyFile_RefusesToLoad()
    {
        File.WriteAllBytes(Path.Combine(_keyDirectory, "master-v1.key"), [1, 2, 3]);

        var error = Assert.Throws<KeyRingUnavailableException>(() => MasterKeyRing.LoadOrCreate(_keyDirectory));
        Assert.Contains("expected 32", error.Message);
    }

    public void Dispose() => Directory.Delete(_keyDirectory, recursive: true);
}
