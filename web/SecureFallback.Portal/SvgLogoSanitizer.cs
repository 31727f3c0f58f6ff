using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace SecureFallback.Portal;

/// <summary>
/// Keeps of an SVG logo only what draws a picture: an allow-list of SVG elements and presentation attributes over
/// System.Xml with DTDs prohibited (no entities, no external files). Scripts, event handlers, foreign objects,
/// animations, images, <c>style</c> elements, <c>use</c>, links and every reference outside the document (<c>url(http…)</c>, <c>href</c>
/// other than <c>#id</c>) are dropped. The result is served under its own restrictive CSP as well.
/// </summary>
internal static class SvgLogoSanitizer
{
    private const string SvgNamespace = "http://www.w3.org/2000/svg";
    private const string XlinkNamespace = "http://www.w3.org/1999/xlink";

    private static readonly HashSet<string> Elements = new(StringComparer.Ordinal)
    {
        "svg", "g", "defs", "title", "desc", "path", "rect", "circle", "ellipse", "line", "polyline", "polygon",
        "text", "tspan", "linearGradient", "radialGradient", "stop", "clipPath", "mask", "symbol",
    };

    private static readonly HashSet<string> Attributes = new(StringComparer.Ordinal)
    {
        "id", "class", "viewBox", "width", "height", "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry",
        "d", "points", "transform", "fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-opacity",
        "stroke-linecap", "stroke-linejoin", "stroke-miterlimit", "stroke-dasharray", "stroke-dashoffset", "opacity",
        "clip-path", "clip-rule", "mask", "offset", "stop-color", "stop-opacity", "gradientUnits", "gradientTransform",
        "spreadMethod", "fx", "fy", "preserveAspectRatio", "font-family", "font-size", "font-weight", "font-style",
        "text-anchor", "dominant-baseline", "letter-spacing", "dx", "dy", "style", "version", "role", "aria-label",
        "clipPathUnits", "maskUnits", "maskContentUnits", "visibility", "display", "color",
    };

    /// <summary>The sanitised SVG as UTF-8.</summary>
    /// <exception cref="InvalidDataException">The file is not well-formed XML, has a DTD, or is not an SVG.</exception>
    public static byte[] Sanitize(Stream svg)
    {
        XDocument document;
        try
        {
            using var reader = XmlReader.Create(svg, new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, IgnoreProcessingInstructions = true, IgnoreComments = true });
            document = XDocument.Load(reader);
        }
        catch (XmlException e)
        {
            throw new InvalidDataException($"it is not a well-formed SVG without a DTD ({e.Message})", e);
        }

        if (document.Root is not { } root || root.Name != XName.Get("svg", SvgNamespace))
        {
            throw new InvalidDataException("its root element is not an SVG <svg> element");
        }

        Clean(root);
        var output = new StringBuilder();
        using (var writer = XmlWriter.Create(output, new XmlWriterSettings { OmitXmlDeclaration = true }))
        {
            new XDocument(root).Save(writer);
        }

        return Encoding.UTF8.GetBytes(output.ToString());
    }

    private static void Clean(XElement element)
    {
        foreach (var attribute in element.Attributes().ToList())
        {
            if (!IsAllowed(attribute))
            {
                attribute.Remove();
            }
        }

        foreach (var child in element.Elements().ToList())
        {
            if (child.Name == XName.Get("a", SvgNamespace))
            {
                // A link's drawing stays; the link goes.
                Clean(child);
                child.ReplaceWith(child.Nodes());
                continue;
            }

            if (child.Name.Namespace != SvgNamespace || !Elements.Contains(child.Name.LocalName))
            {
                child.Remove();
                continue;
            }

            Clean(child);
        }
    }

    private static bool IsAllowed(XAttribute attribute)
    {
        if (attribute.IsNamespaceDeclaration)
        {
            return attribute.Value is SvgNamespace or XlinkNamespace;
        }

        if (attribute.Name.Namespace == XlinkNamespace)
        {
            return attribute.Name.LocalName == "href" && IsLocalReference(attribute.Value);
        }

        if (attribute.Name == "href")
        {
            return IsLocalReference(attribute.Value);
        }

        return attribute.Name.Namespace == XNamespace.None && Attributes.Contains(attribute.Name.LocalName) && IsSafeStyle(attribute.Value);
    }

    private static bool IsLocalReference(string value) => value.StartsWith('#') && !value.Contains(':', StringComparison.Ordinal);

    /// <summary>
    /// No reference out of the document, no script in a value: only <c>url(#id)</c> may name anything;
    /// <c>image-set()</c> and <c>src()</c>, which load by a plain string, are refused outright. (A <c>style</c>
    /// element is not kept at all: browsers read only its own text nodes, so its checked text is not what they apply.)
    /// </summary>
    private static bool IsSafeStyle(string value)
    {
        var lower = value.ToLowerInvariant();
        if (lower.Contains("javascript", StringComparison.Ordinal) || lower.Contains("expression", StringComparison.Ordinal)
            || lower.Contains("@import", StringComparison.Ordinal) || lower.Contains('\\') || lower.Contains("<", StringComparison.Ordinal)
            || lower.Contains("image-set", StringComparison.Ordinal) || lower.Contains("src(", StringComparison.Ordinal))
        {
            return false;
        }

        for (var at = lower.IndexOf("url(", StringComparison.Ordinal); at >= 0; at = lower.IndexOf("url(", at + 4, StringComparison.Ordinal))
        {
            var target = lower[(at + 4)..].TrimStart(' ', '"', '\'');
            if (!target.StartsWith('#'))
            {
                return false;
            }
        }

        return true;
    }
}
