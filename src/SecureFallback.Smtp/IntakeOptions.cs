using System.Net;

namespace SecureFallback.Smtp;

/// <summary>Settings under <c>SecureFallback:Intake</c>: the SMTP listener that the organisation's mail server relays to.</summary>
public sealed class IntakeOptions
{
    public const string SectionName = "SecureFallback:Intake";

    /// <summary>IP address to listen on. Default <c>127.0.0.1</c>.</summary>
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>TCP port. Default 2525; 0 picks a free port (tests).</summary>
    public int Port { get; set; } = 2525;

    /// <summary>CIDR networks whose clients may relay without AUTH. Default loopback only.</summary>
    public List<string> AllowedNetworks { get; set; } = [];

    /// <summary>Largest message accepted, in bytes (advertised with SIZE, enforced during DATA). Default 35 MiB.</summary>
    public int MaxMessageBytes { get; set; } = 36_700_160;

    /// <summary>Name in the greeting and EHLO reply; default <c>SecureFallback:Delivery:HeloName</c>.</summary>
    public string? ServerName { get; set; }

    /// <summary>PFX or PEM certificate for STARTTLS; default a self-signed one generated once under the data directory.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>Password of a PFX <see cref="CertificatePath"/>, or path of the PEM private key file.</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>PEM private key file for a PEM <see cref="CertificatePath"/>.</summary>
    public string? CertificateKeyPath { get; set; }

    /// <summary>Time allowed for a whole session from connect (a 35 MB upload on a slow link needs minutes). Default 30 min.</summary>
    public TimeSpan SessionTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// Time to wait for the client's next command, and the longest silence allowed inside DATA. Default 5 min
    /// (RFC 5321 4.5.3.2).
    /// </summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Open SMTP connections allowed at once, from all clients together. Default 200.</summary>
    public int MaxConnections { get; set; } = 200;

    /// <summary>Open SMTP connections allowed at once from one IP address. Default 50.</summary>
    public int MaxConnectionsPerAddress { get; set; } = 50;

    /// <summary>
    /// Commands (EHLO, NOOP, RSET, VRFY, HELP, STARTTLS, AUTH...) a session may send before each MAIL; past it the
    /// session is closed with 421. Default 20.
    /// </summary>
    public int MaxCommandsBeforeMail { get; set; } = 20;

    /// <summary>Longest line of message data, without its CRLF (RFC 5322 2.1.1 says 998). Default 998.</summary>
    public int MaxDataLineBytes { get; set; } = 998;

    /// <summary>
    /// Failed AUTH attempts allowed from one client network (an IPv4 address, an IPv6 /64) within
    /// <see cref="AuthFailureWindow"/>. Default 5.
    /// </summary>
    public int AuthFailuresPerAddress { get; set; } = 5;

    /// <summary>Window over which failed AUTH attempts are counted; AUTH from that network is refused until it passes. Default 15 min.</summary>
    public TimeSpan AuthFailureWindow { get; set; } = TimeSpan.FromMinutes(15);

    internal static readonly string[] DefaultAllowedNetworks = ["127.0.0.0/8", "::1/128"];

    internal IPAddress ParsedAddress => IPAddress.Parse(Address);
}
