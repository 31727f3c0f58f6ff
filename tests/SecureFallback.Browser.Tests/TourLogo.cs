using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace SecureFallback.Browser.Tests;

/// <summary>A logo for the tour, made in code: a PNG of <see cref="Width"/>×<see cref="Height"/> in the accent colour with a light band.</summary>
internal static class TourLogo
{
    public const int Width = 96;
    public const int Height = 32;

    /// <summary>Writes the PNG to a fresh temporary file and returns its path.</summary>
    public static string Write(byte red, byte green, byte blue)
    {
        var path = Path.Combine(Path.GetTempPath(), $"tour-logo-{Guid.NewGuid():N}.png");
        File.WriteAllBytes(path, Png(red, green, blue));
        return path;
    }

    /// <summary>The PNG's bytes: signature, IHDR (8-bit RGB), one zlib IDAT of filter-0 rows, IEND.</summary>
    public static byte[] Png(byte red, byte green, byte blue)
    {
        var raw = new MemoryStream();
        for (var y = 0; y < Height; y++)
        {
            raw.WriteByte(0); // filter: none
            for (var x = 0; x < Width; x++)
            {
                var band = y is >= 12 and < 20 && x is >= 8 and < 88;
                raw.Write(band ? [255, 255, 255] : [red, green, blue]);
            }
        }

        var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            raw.Position = 0;
            raw.CopyTo(zlib);
        }

        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, Width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), Height);
        header[8] = 8; // bit depth
        header[9] = 2; // colour type: RGB
        var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        Chunk(png, "IHDR", header);
        Chunk(png, "IDAT", compressed.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream png, string type, byte[] data)
    {
        Span<byte> number = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(number, data.Length);
        png.Write(number);
        var typed = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        png.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(number, Crc32(typed));
        png.Write(number);
    }

    private static uint Crc32(byte[] bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
            }
        }

        return ~crc;
    }
}
