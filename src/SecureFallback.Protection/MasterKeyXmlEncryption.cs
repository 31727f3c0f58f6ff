using System.Text;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;
using Microsoft.Extensions.DependencyInjection;
using SecureFallback.Core.Messages;

namespace SecureFallback.Protection;

/// <summary>
/// Encrypts ASP.NET Core Data Protection keys (the portal's cookie and anti-forgery keys) like message content:
/// AES-256-GCM under a data key wrapped by the master key ring. With the <c>Certificate</c> key provider nothing
/// under <c>data/</c> is then usable without the certificate.
/// </summary>
public sealed class MasterKeyXmlEncryptor(IContentProtector protector) : IXmlEncryptor
{
    internal static readonly XName Sealed = "sealedByMasterKey";

    public EncryptedXmlInfo Encrypt(XElement plaintextElement)
    {
        var binding = Guid.NewGuid();
        var content = protector.Seal(binding, Encoding.UTF8.GetBytes(plaintextElement.ToString(SaveOptions.DisableFormatting)));
        var element = new XElement(
            Sealed,
            new XAttribute("binding", binding),
            new XAttribute("keyVersion", content.KeyVersion),
            new XElement("wrappedKey", Convert.ToBase64String(content.WrappedKey)),
            new XElement("ciphertext", Convert.ToBase64String(content.Ciphertext)));
        return new EncryptedXmlInfo(element, typeof(MasterKeyXmlDecryptor));
    }
}

/// <summary>
/// Opens what <see cref="MasterKeyXmlEncryptor"/> sealed. Data Protection creates it from the type named in the key
/// file, passing only its <see cref="IServiceProvider"/>.
/// </summary>
public sealed class MasterKeyXmlDecryptor(IServiceProvider services) : IXmlDecryptor
{
    private readonly IContentProtector _protector = services.GetRequiredService<IContentProtector>();

    public XElement Decrypt(XElement encryptedElement)
    {
        if (encryptedElement.Name != MasterKeyXmlEncryptor.Sealed)
        {
            throw new FormatException($"Expected a <{MasterKeyXmlEncryptor.Sealed}> element.");
        }

        var content = new MessageContent
        {
            MessageId = Guid.Parse((string)encryptedElement.Attribute("binding")!),
            KeyVersion = (int)encryptedElement.Attribute("keyVersion")!,
            WrappedKey = Convert.FromBase64String((string)encryptedElement.Element("wrappedKey")!),
            Ciphertext = Convert.FromBase64String((string)encryptedElement.Element("ciphertext")!),
        };
        return XElement.Parse(Encoding.UTF8.GetString(_protector.Open(content)));
    }
}
