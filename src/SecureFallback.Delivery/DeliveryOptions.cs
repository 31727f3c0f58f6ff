namespace SecureFallback.Delivery;

/// <summary>Settings under <c>SecureFallback:Delivery</c>: how queued mail leaves.</summary>
public sealed class DeliveryOptions
{
    public const string SectionName = "SecureFallback:Delivery";

    /// <summary>TCP port of next hops found by MX lookup. Default 25.</summary>
    public int Port { get; set; } = 25;

    /// <summary>
    /// Static next hops by recipient domain (<c>Routes:&lt;domain&gt;</c> = <c>host:port</c>), replacing the MX lookup
    /// for that domain, like Postfix transport maps.
    /// </summary>
    public Dictionary<string, string> Routes { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Delays between attempts after transient failures; the last step repeats. Default 1m,5m,15m,30m,1h,2h,4h.</summary>
    public List<TimeSpan> RetrySchedule { get; set; } = [];

    /// <summary>How long a message may wait in the queue before it is returned to the sender. Default 5 days.</summary>
    public TimeSpan MaxQueueTime { get; set; } = TimeSpan.FromDays(5);

    /// <summary>Name sent in EHLO and used in reports; default this machine's host name.</summary>
    public string HeloName { get; set; } = "";

    /// <summary>Time allowed to open a TCP connection to a next hop. Default 30 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Time allowed for each SMTP command's reply. Default 5 min (the reply to the final dot has its own, below).</summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Time allowed for the reply to the final dot of a message, while the receiver may be scanning or storing it.
    /// Default and least 10 min (RFC 5321 4.5.3.2.6): giving up sooner risks sending the message twice.
    /// </summary>
    public TimeSpan DataTerminationTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How many recipient domains are delivered to at the same time. Default 16.</summary>
    public int MaxParallelDomains { get; set; } = 16;

    /// <summary>
    /// How many connections one recipient domain (one next hop) may get at once when it has many messages waiting;
    /// each takes its own share of the messages. Default 8 (Postfix allows 20 per destination).
    /// </summary>
    public int ConnectionsPerDomain { get; set; } = 8;

    /// <summary>
    /// How long an instance's claim on the recipients it is attempting lasts; it is renewed while the attempt runs.
    /// After a crash, another instance (or this one, restarted under another name) takes them up after this.
    /// Default 5 min.
    /// </summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long an idle delivery worker waits before looking at the queue for work nobody told it about (retries fall
    /// due on their own schedule; new mail wakes it at once, from other instances on PostgreSQL through
    /// <c>NOTIFY</c>). Default 15 s.
    /// </summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Extra CA certificates (PEM files) trusted, besides the system's, at the <c>verify</c> and <c>secure</c> levels.</summary>
    public List<string> TrustedRoots { get; set; } = [];

    internal static readonly TimeSpan[] DefaultRetrySchedule =
    [
        TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(30),
        TimeSpan.FromHours(1), TimeSpan.FromHours(2), TimeSpan.FromHours(4),
    ];
}

/// <summary>Settings under <c>SecureFallback:Dns</c>.</summary>
public sealed class DnsOptions
{
    public const string SectionName = "SecureFallback:Dns";

    /// <summary>Resolvers as <c>ip</c> or <c>ip:port</c> (<c>[v6]:port</c>); empty uses the system's.</summary>
    public List<string> Servers { get; set; } = [];

    /// <summary>Time-out of one DNS query. Default 5 s.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>Settings under <c>SecureFallback:Notices</c>: mail SecureFallback writes itself.</summary>
public sealed class NoticeOptions
{
    public const string SectionName = "SecureFallback:Notices";

    /// <summary>From address of DSNs and notices; default <c>postmaster@&lt;HeloName&gt;</c>.</summary>
    public string From { get; set; } = "";

    /// <summary>Also tell the sender when a message was delivered over TLS (a "delivered" DSN). Default false.</summary>
    public bool DeliveredOverTls { get; set; }

    /// <summary>Show the original subject in pickup notices. Default false: a subject can be confidential too.</summary>
    public bool IncludeSubject { get; set; }

    /// <summary>PEM RSA private key for DKIM-signing notices and DSNs; unset means unsigned.</summary>
    public string? DkimKeyPath { get; set; }

    /// <summary>DKIM selector (the <c>s=</c> tag; the public key is published at <c>selector._domainkey.domain</c>).</summary>
    public string? DkimSelector { get; set; }

    /// <summary>DKIM signing domain (the <c>d=</c> tag); default the domain of <see cref="From"/>.</summary>
    public string? DkimDomain { get; set; }

    /// <summary>
    /// The language of the mail we write (notices, DSNs, read receipts, account mail) to a domain whose policy names
    /// none (<c>Policies:&lt;domain&gt;:Language</c>): <c>en</c>, <c>de</c>, <c>fr</c>, <c>es</c> or <c>nl</c>. Default <c>en</c>.
    /// </summary>
    public string Language { get; set; } = Core.Branding.SupportedLanguages.Default;
}
