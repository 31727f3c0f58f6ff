using System.Security.Cryptography;

namespace SecureFallback.Core.Pickup;

/// <summary>
/// The right to pick up one held copy: proven by the single-use link token (stored only as its SHA-256) or by the
/// short reference code a cautious recipient types at the portal instead of clicking a link.
/// </summary>
public sealed class PickupGrant
{
    /// <summary>Characters of reference codes: no 0/O, 1/I/L, so a code read aloud or typed is unambiguous.</summary>
    public const string ReferenceAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";

    public Guid Id { get; set; }

    public long RecipientId { get; set; }

    public Guid MessageId { get; set; }

    /// <summary>
    /// The recipient address the grant is for, in <see cref="NormalizeAddress"/> form; only the account for this
    /// address may use it. Setting it sets <see cref="AddressKey"/>.
    /// </summary>
    public string Address
    {
        get => _address;
        set => (_address, AddressKey) = (value, AddressKeyOf(value));
    }

    private string _address = "";

    /// <summary>
    /// <see cref="Address"/> as it is looked up (<see cref="AddressKeyOf"/>): stored and indexed, and compared exactly,
    /// never with a database's own <c>lower()</c>.
    /// </summary>
    public string AddressKey { get; private set; } = "";

    /// <summary>SHA-256 of the link token; the token itself exists only inside the (encrypted) notice.</summary>
    public byte[] TokenHash { get; set; } = [];

    /// <summary>Reference code such as <c>K7Q-4MZ-9TX</c> (about 44 bits), shown in the notice.</summary>
    public string ReferenceCode { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    /// <summary>When the link token was used (it works once).</summary>
    public DateTimeOffset? TokenUsedAt { get; set; }

    /// <summary>When the recipient first opened the message (drives the read receipt).</summary>
    public DateTimeOffset? FirstReadAt { get; set; }

    /// <summary>
    /// When the held copy was claimed for delivery by SMTP because TLS came back (<c>Pickup:DeliverWhenTlsReturns</c>);
    /// null when it is not in flight. Reading and this claim are conditional updates of this one row, so a copy is
    /// either read in the portal or delivered, never both: a first reading saves only while it is null, and the claim
    /// is taken only while <see cref="FirstReadAt"/> is null. Cleared when TLS failed again; kept once delivered.
    /// </summary>
    public DateTimeOffset? RedeliveryClaimedAt { get; set; }

    /// <summary>True while the read receipt (MDN) to the sender is still to be queued (an outbox flag, set once).</summary>
    public bool ReadReceiptPending { get; set; }

    /// <summary>The message opens only after the sender's PIN (<see cref="PickupPin"/>) was entered once.</summary>
    public bool PinRequired { get; set; }

    /// <summary>Salt and PBKDF2 hash of the current PIN; null until the held DSN (or an admin) issued one.</summary>
    public byte[]? PinHash { get; set; }

    /// <summary>Wrong PINs since the current one was issued; at <see cref="PickupPin.MaxFailures"/> the message is locked.</summary>
    public int PinFailures { get; set; }

    /// <summary>
    /// When the right PIN was entered: from then on the message opens without one for the account as it was then
    /// (<see cref="PinUnlockedStamp"/>).
    /// </summary>
    public DateTimeOffset? PinUnlockedAt { get; set; }

    /// <summary>
    /// The security stamp of the account that entered the right PIN. The unlock belongs to those credentials, not to
    /// the message: once the stamp changes (a password reset by mailed code, a changed second step, "this was not
    /// me"), whoever holds the account now must type the PIN again.
    /// </summary>
    public string? PinUnlockedStamp { get; set; }

    /// <summary>SHA-256 of the token in the held DSN's "issue a new PIN" link; the token exists only in that DSN.</summary>
    public byte[]? PinResetTokenHash { get; set; }

    /// <summary>When the current PIN was issued (audit).</summary>
    public DateTimeOffset? PinIssuedAt { get; set; }

    /// <summary>Who issued the current PIN (audit): the held DSN, the sender's link, or an admin by name. Never the PIN.</summary>
    public string? PinIssuedBy { get; set; }

    /// <summary>
    /// The message waits for its PIN for the account whose security stamp is now <paramref name="accountStamp"/>:
    /// it was never unlocked, or unlocked under other credentials.
    /// </summary>
    public bool NeedsPinFor(string? accountStamp) =>
        PinRequired && (PinUnlockedAt is null || PinUnlockedStamp is null || !string.Equals(PinUnlockedStamp, accountStamp, StringComparison.Ordinal));

    /// <summary>Five wrong PINs: only a new PIN opens it again.</summary>
    public bool PinLockedFor(string? accountStamp) => NeedsPinFor(accountStamp) && PinFailures >= PickupPin.MaxFailures;

    /// <summary>Sets a fresh PIN (its hash only) and clears the wrong tries; returns the PIN, to be shown or sent once.</summary>
    public string IssuePin(DateTimeOffset now, string issuedBy)
    {
        var pin = PickupPin.New();
        (PinHash, PinFailures, PinIssuedAt, PinIssuedBy) = (PickupPin.Hash(pin), 0, now, issuedBy);
        return pin;
    }

    /// <summary>Sets a fresh 256-bit token for the sender's "issue a new PIN" link (its hash only) and returns it once.</summary>
    public string IssuePinResetToken()
    {
        var token = NewToken();
        PinResetTokenHash = HashToken(token);
        return token;
    }

    /// <summary>The network of the first reading (<c>ClientNetwork.ReadingNetworkOf</c>): never the full address.</summary>
    public string? FirstReadNetwork { get; set; }

    /// <summary>The browser family of the first reading (<see cref="BrowserFamily"/>).</summary>
    public string? FirstReadBrowser { get; set; }

    /// <summary>True when the account that first read the message was created through this grant (its link or code).</summary>
    public bool FirstReadAccountCreatedHere { get; set; }

    /// <summary>The networks the message was read from, space-separated, first one first; at most 1 + <see cref="MaxReopenNotices"/>.</summary>
    public string? ReadNetworks { get; set; }

    /// <summary>How many "opened again from another network" notices were raised (at most <see cref="MaxReopenNotices"/>).</summary>
    public int ReopenCount { get; set; }

    /// <summary>"Opened again from another network" notices per grant: a reader hopping networks is no mail cannon.</summary>
    public const int MaxReopenNotices = 3;

    /// <summary>
    /// Records a reading: the first one whole (it owes the read receipt); later ones only when they come from a
    /// network not seen before, each owing a report of its own (<see cref="RecordedReading.Report"/>), up to
    /// <see cref="MaxReopenNotices"/>. Pure: the caller saves the grant only if its reading state is still what it was
    /// when loaded (<see cref="FirstReadAt"/>, <see cref="ReadNetworks"/>), else reloads and records again, so
    /// readings at the same time neither overwrite each other nor share one report.
    /// </summary>
    public RecordedReading RecordReading(DateTimeOffset now, string network, string browser, bool accountCreatedHere)
    {
        if (FirstReadAt is null)
        {
            (FirstReadAt, FirstReadNetwork, FirstReadBrowser, FirstReadAccountCreatedHere) = (now, network, browser, accountCreatedHere);
            (ReadNetworks, ReadReceiptPending) = (network, true);
            return new(GrantReading.First, null);
        }

        if (ReadNetworks is null)
        {
            // Read before networks were kept: the first reading's network is unknown, so this one is no evidence of
            // another reader. Remember it; report only networks new from here on.
            ReadNetworks = network;
            return new(GrantReading.NetworkRemembered, null);
        }

        var seen = ReadNetworks.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (ReopenCount >= MaxReopenNotices || seen.Contains(network, StringComparer.Ordinal))
        {
            return new(GrantReading.Nothing, null);
        }

        ReadNetworks = string.Join(' ', seen.Append(network));
        ReopenCount++;
        return new(GrantReading.FromNewNetwork, new ReadingReport { GrantId = Id, ReadAt = now, Network = network, Browser = browser });
    }

    /// <summary>Creates a grant with a fresh 256-bit token, returned once to be written into the notice.</summary>
    public static (PickupGrant Grant, string Token) Issue(long recipientId, Guid messageId, string address, DateTimeOffset now, DateTimeOffset expiresAt)
    {
        var token = NewToken();
        var grant = new PickupGrant
        {
            Id = Guid.CreateVersion7(now),
            RecipientId = recipientId,
            MessageId = messageId,
            Address = NormalizeAddress(address),
            TokenHash = HashToken(token),
            ReferenceCode = NewReferenceCode(),
            CreatedAt = now,
            ExpiresAt = expiresAt,
        };
        return (grant, token);
    }

    /// <summary>
    /// The one spelling of an address that grants and portal accounts use: the local part exactly as the intake
    /// queued it (RFC 5321 form, <see cref="Messages.MailboxSyntax"/>: a dot-string, else quoted, as in
    /// <c>"john smith"@x.test</c>), the domain (an A-label for IDNs) lower-cased.
    /// Accounts and grants are looked up by <see cref="AddressKeyOf"/>, so the local part's ASCII case never splits
    /// one mailbox in two.
    /// </summary>
    public static string NormalizeAddress(string address)
    {
        var trimmed = address.Trim();
        var at = trimmed.LastIndexOf('@');
        return at < 0 ? trimmed : trimmed[..at] + trimmed[at..].ToLowerInvariant();
    }

    /// <summary>
    /// The look-up key of an address: its <see cref="NormalizeAddress"/> form with ASCII letters in lower case and
    /// every other character exactly as it is (<see cref="AsciiCase"/>). Two addresses are one mailbox, one account,
    /// exactly when their keys are equal (ordinal).
    /// </summary>
    public static string AddressKeyOf(string address) => AsciiCase.Lower(NormalizeAddress(address));

    public static byte[] HashToken(string token) => SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(token));

    private static string NewReferenceCode()
    {
        var code = RandomNumberGenerator.GetString(ReferenceAlphabet, 9);
        return $"{code[..3]}-{code[3..6]}-{code[6..]}";
    }

    /// <summary>A fresh 256-bit link token (base64url): the notice's link and every single-purpose link in a held DSN.</summary>
    public static string NewToken() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

/// <summary>What <see cref="PickupGrant.RecordReading"/> made of a reading, and the report it owes, if any (to be saved with the grant).</summary>
public sealed record RecordedReading(GrantReading Kind, ReadingReport? Report);

/// <summary>What <see cref="PickupGrant.RecordReading"/> made of a reading.</summary>
public enum GrantReading
{
    /// <summary>Seen before, or past the notice limit: nothing owed.</summary>
    Nothing,

    /// <summary>The first reading: the read receipt is owed.</summary>
    First,

    /// <summary>A reading from a network not seen before: one "opened again" notice is owed (its <see cref="ReadingReport"/>).</summary>
    FromNewNetwork,

    /// <summary>
    /// The first reading since the grant's networks are kept, of a grant read before: its network is remembered (to
    /// be saved), nothing is owed, since where the first reading came from is unknown.
    /// </summary>
    NetworkRemembered,
}
