using System.Globalization;

namespace SecureFallback.Core.Messages;

/// <summary>Whether a recipient domain can be looked up in DNS at all, so an impossible one is refused at RCPT.</summary>
public static class DomainName
{
    /// <summary>
    /// True for a host name whose ASCII form (IDNA, for internationalised names) has labels of 1 to 63 octets and
    /// at most 253 octets in all (RFC 1035 2.3.4), and for an address literal such as <c>[192.0.2.1]</c>.
    /// </summary>
    public static bool IsValid(string domain)
    {
        if (domain.StartsWith('[') && domain.EndsWith(']'))
        {
            return true; // an address literal: no DNS name to check
        }

        string ascii;
        try
        {
            ascii = new IdnMapping().GetAscii(domain.TrimEnd('.')); // instances are not documented thread-safe
        }
        catch (ArgumentException)
        {
            return false;
        }

        return ascii.Length is > 0 and <= 253 && ascii.Split('.').All(label => label.Length is > 0 and <= 63);
    }
}
