using System.Xml.Linq;

namespace SecureFallback.Protection;

/// <summary>
/// The Data Protection key files that <see cref="MasterKeyXmlEncryptor"/> sealed: which master key versions they
/// need, and re-wrapping them on key rotation (only the wrapped data key and its version change).
/// </summary>
public static class SealedKeyFiles
{
    /// <summary>Master key versions used by the key files in <paramref name="directory"/>, with how many use each.</summary>
    public static Dictionary<int, int> VersionsIn(string directory) => VersionsOf(SealedElements(directory).Select(e => e.Element));

    /// <summary>Master key versions the sealed elements in <paramref name="keys"/> need, with how many need each.</summary>
    public static Dictionary<int, int> VersionsOf(IEnumerable<XElement> keys)
    {
        var versions = new Dictionary<int, int>();
        foreach (var element in keys.SelectMany(k => k.DescendantsAndSelf(MasterKeyXmlEncryptor.Sealed)))
        {
            var version = (int)element.Attribute("keyVersion")!;
            versions[version] = versions.GetValueOrDefault(version) + 1;
        }

        return versions;
    }

    /// <summary>Re-wraps the sealed elements in <paramref name="key"/> under the current master key; true when any changed.</summary>
    public static bool Rewrap(XElement key, ChunkedAesGcmProtector protector)
    {
        var changed = false;
        foreach (var element in key.DescendantsAndSelf(MasterKeyXmlEncryptor.Sealed).ToList())
        {
            changed |= RewrapElement(element, protector);
        }

        return changed;
    }

    /// <summary>Re-wraps every sealed key file under the current master key; returns how many files changed.</summary>
    public static int Rewrap(string directory, ChunkedAesGcmProtector protector)
    {
        var changed = 0;
        foreach (var (path, element) in SealedElements(directory).ToList())
        {
            if (!RewrapElement(element, protector))
            {
                continue;
            }

            var document = element.Document!;
            var temporary = path + ".tmp";
            document.Save(temporary);
            File.Move(temporary, path, overwrite: true);
            changed++;
        }

        return changed;
    }

    private static bool RewrapElement(XElement element, ChunkedAesGcmProtector protector)
    {
        var rewrapped = protector.Rewrap(
            Guid.Parse((string)element.Attribute("binding")!),
            (int)element.Attribute("keyVersion")!,
            Convert.FromBase64String((string)element.Element("wrappedKey")!));
        if (rewrapped is not { } result)
        {
            return false;
        }

        element.SetAttributeValue("keyVersion", result.KeyVersion);
        element.SetElementValue("wrappedKey", Convert.ToBase64String(result.WrappedKey));
        return true;
    }

    private static IEnumerable<(string Path, XElement Element)> SealedElements(string directory)
    {
        if (!Directory.Exists(directory))
        {
            yield break;
        }

        foreach (var path in Directory.EnumerateFiles(directory, "*.xml"))
        {
            var document = XDocument.Load(path);
            foreach (var element in document.Descendants(MasterKeyXmlEncryptor.Sealed))
            {
                yield return (path, element);
            }
        }
    }
}
