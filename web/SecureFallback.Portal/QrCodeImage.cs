using QRCoder;

namespace SecureFallback.Portal;

/// <summary>Renders a QR code as a PNG data: URL, so the page needs no script and no extra request.</summary>
public static class QrCodeImage
{
    public static string DataUrl(string text)
    {
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(text, QRCodeGenerator.ECCLevel.M);
        var png = new PngByteQRCode(data).GetGraphic(4);
        return "data:image/png;base64," + Convert.ToBase64String(png);
    }
}
