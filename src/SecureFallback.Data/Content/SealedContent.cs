using System.Buffers;
using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using SecureFallback.Core.Messages;

namespace SecureFallback.Data.Content;

/// <summary>
/// Reads and writes sealed message content. On SQLite, large content goes through incremental BLOB I/O, one
/// 64 KiB chunk at a time: a 25 MB message is then never one 25 MB array in our memory, nor a second copy in
/// SQLite's (binding or reading a BLOB whole copies it). PostgreSQL keeps it as one <c>bytea</c> value.
/// </summary>
internal static class SealedContent
{
    /// <summary>Above this many plaintext bytes, SQLite content is streamed instead of held whole.</summary>
    public const int StreamingThreshold = 1024 * 1024;

    /// <summary>Whether content of <paramref name="length"/> bytes is written with <see cref="InsertStreamingAsync"/> on this database.</summary>
    public static bool Streams(DatabaseOptions database, long length) => length > StreamingThreshold && !database.IsPostgres;

    /// <summary>
    /// Seals <paramref name="plaintext"/> straight into a new <c>MessageContents</c> row: a zero-filled BLOB of the
    /// sealed size, written chunk by chunk. Call inside the transaction that inserts the message row, after it.
    /// </summary>
    public static async Task InsertStreamingAsync(SecureFallbackDbContext db, IContentProtector protector, Guid messageId, ReadOnlySequence<byte> plaintext, CancellationToken cancellationToken)
    {
        var connection = (SqliteConnection)db.Database.GetDbConnection();
        var transaction = (SqliteTransaction?)db.Database.CurrentTransaction?.GetDbTransaction()
            ?? throw new InvalidOperationException("Streaming content must be written inside the message's transaction.");
        await using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = """
            INSERT INTO "MessageContents" ("MessageId", "KeyVersion", "WrappedKey", "Ciphertext") VALUES ($id, 0, x'', zeroblob($length));
            SELECT last_insert_rowid();
            """;
        insert.Parameters.AddWithValue("$id", SqliteGuid(messageId));
        insert.Parameters.AddWithValue("$length", protector.SealedLength(plaintext.Length));
        var rowId = (long)(await insert.ExecuteScalarAsync(cancellationToken))!;

        MessageContent keys;
        using (var blob = new SqliteBlob(connection, "MessageContents", "Ciphertext", rowId))
        {
            keys = protector.SealTo(messageId, plaintext, blob);
        }

        await using var update = connection.CreateCommand();
        update.Transaction = transaction;
        update.CommandText = """UPDATE "MessageContents" SET "KeyVersion" = $version, "WrappedKey" = $key WHERE rowid = $row""";
        update.Parameters.AddWithValue("$version", keys.KeyVersion);
        update.Parameters.AddWithValue("$key", keys.WrappedKey);
        update.Parameters.AddWithValue("$row", rowId);
        await update.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// A decrypting stream over a message's content (see <see cref="IContentProtector.OpenRead(MessageContent)"/>),
    /// or null when the content is gone. Large SQLite content is read through its own connection, which the stream
    /// owns, so it outlives <paramref name="db"/>'s scope.
    /// </summary>
    /// <exception cref="ContentTamperedException">The key or format does not authenticate.</exception>
    public static async Task<Stream?> OpenAsync(SecureFallbackDbContext db, IContentProtector protector, Guid messageId, CancellationToken cancellationToken)
    {
        if (!db.Database.IsSqlite())
        {
            var content = await db.MessageContents.AsNoTracking().SingleOrDefaultAsync(c => c.MessageId == messageId, cancellationToken);
            return content is null ? null : protector.OpenRead(content);
        }

        // One query: small content comes inline; for large content only its row id, to stream the BLOB.
        var (rowId, keys) = await ReadKeysAsync(db, messageId, inlineUpTo: protector.SealedLength(StreamingThreshold), cancellationToken);
        if (keys is null)
        {
            return null;
        }

        if (keys.Ciphertext.Length > 0)
        {
            return protector.OpenRead(keys);
        }

        var connection = new SqliteConnection(db.Database.GetConnectionString());
        try
        {
            await connection.OpenAsync(cancellationToken);
            return protector.OpenRead(keys, new ConnectionOwningStream(new SqliteBlob(connection, "MessageContents", "Ciphertext", rowId, readOnly: true), connection));
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <param name="db">The context whose connection is used.</param>
    /// <param name="messageId">The message.</param>
    /// <param name="inlineUpTo">Sealed content up to this size (what is written whole) comes back in the row.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    private static async Task<(long RowId, MessageContent? Keys)> ReadKeysAsync(SecureFallbackDbContext db, Guid messageId, long inlineUpTo, CancellationToken cancellationToken)
    {
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var query = db.Database.GetDbConnection().CreateCommand();
            query.CommandText = """
                SELECT rowid, "KeyVersion", "WrappedKey", CASE WHEN length("Ciphertext") <= $inline THEN "Ciphertext" END
                FROM "MessageContents" WHERE "MessageId" = $id
                """;
            var id = query.CreateParameter();
            (id.ParameterName, id.Value) = ("$id", SqliteGuid(messageId));
            query.Parameters.Add(id);
            var inline = query.CreateParameter();
            (inline.ParameterName, inline.Value) = ("$inline", inlineUpTo);
            query.Parameters.Add(inline);
            await using DbDataReader reader = await query.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return (0, null);
            }

            return (reader.GetInt64(0), new MessageContent
            {
                MessageId = messageId,
                KeyVersion = reader.GetInt32(1),
                WrappedKey = (byte[])reader.GetValue(2),
                Ciphertext = reader.IsDBNull(3) ? [] : (byte[])reader.GetValue(3),
            });
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>How EF Core's SQLite provider stores a <see cref="Guid"/> (upper-case text), for raw commands.</summary>
    private static string SqliteGuid(Guid id) => id.ToString().ToUpperInvariant();

    /// <summary>A read-only BLOB stream that also closes the connection it was opened on.</summary>
    private sealed class ConnectionOwningStream(SqliteBlob blob, SqliteConnection connection) : Stream
    {
        public override bool CanRead => blob.CanRead;

        public override bool CanSeek => blob.CanSeek;

        public override bool CanWrite => false;

        public override long Length => blob.Length;

        public override long Position { get => blob.Position; set => blob.Position = value; }

        public override int Read(byte[] buffer, int offset, int count) => blob.Read(buffer, offset, count);

        public override int Read(Span<byte> buffer) => blob.Read(buffer);

        public override long Seek(long offset, SeekOrigin origin) => blob.Seek(offset, origin);

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                blob.Dispose();
                connection.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
