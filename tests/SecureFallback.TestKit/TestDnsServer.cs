using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SecureFallback.TestKit;

/// <summary>
/// A small authoritative-style DNS responder on loopback UDP for tests: MX, A, AAAA and TXT records from a table,
/// plus names that answer NXDOMAIN, SERVFAIL, garbage or nothing at all (time-out).
/// </summary>
public sealed class TestDnsServer : IAsyncDisposable
{
    private const ushort TypeA = 1;
    private const ushort TypeMx = 15;
    private const ushort TypeAaaa = 28;
    private const ushort TypeTxt = 16;
    private const ushort TypeTlsa = 52;

    private readonly UdpClient _udp = new(new IPEndPoint(IPAddress.Loopback, 0));
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _serving;
    private readonly Dictionary<string, List<(int Preference, string Exchange)>> _mx = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, List<IPAddress>> _addresses = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, List<string>> _txt = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, List<byte[]>> _tlsa = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Names whose answers carry the AD bit, as a validating resolver sets it for DNSSEC-secure data.</summary>
    public ISet<string> Authenticated { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

    public TestDnsServer()
    {
        _serving = ServeAsync();
    }

    public IPEndPoint EndPoint => (IPEndPoint)_udp.Client.LocalEndPoint!;

    /// <summary>Names under which every query answers NXDOMAIN.</summary>
    public ISet<string> NonExistent { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Names whose queries answer SERVFAIL.</summary>
    public ISet<string> ServerFailure { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Name and record type (e.g. 28 for AAAA) pairs whose queries answer SERVFAIL, other types of the name answering as usual.</summary>
    public ISet<(string Name, int Type)> ServerFailureOfType { get; } = new HashSet<(string Name, int Type)>();

    /// <summary>Names whose queries are never answered.</summary>
    public ISet<string> Silent { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Names whose queries get an unparsable answer (a record cut short).</summary>
    public ISet<string> Garbled { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

    public TestDnsServer Mx(string domain, int preference, string exchange)
    {
        (_mx.TryGetValue(domain, out var list) ? list : _mx[domain] = []).Add((preference, exchange));
        return this;
    }

    public TestDnsServer Txt(string name, string text)
    {
        lock (_txt)
        {
            (_txt.TryGetValue(name, out var list) ? list : _txt[name] = []).Add(text);
        }

        return this;
    }

    /// <summary>Replaces the TXT records of <paramref name="name"/> (e.g. a new MTA-STS id).</summary>
    public void ClearTxt(string name)
    {
        lock (_txt)
        {
            _txt.Remove(name);
        }
    }

    public TestDnsServer Tlsa(string name, byte usage, byte selector, byte matchingType, byte[] data, bool authenticated)
    {
        (_tlsa.TryGetValue(name, out var list) ? list : _tlsa[name] = []).Add([usage, selector, matchingType, .. data]);
        if (authenticated)
        {
            Authenticated.Add(name);
        }

        return this;
    }

    public TestDnsServer Address(string host, string address)
    {
        (_addresses.TryGetValue(host, out var list) ? list : _addresses[host] = []).Add(IPAddress.Parse(address));
        return this;
    }

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            UdpReceiveResult request;
            try
            {
                request = await _udp.ReceiveAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }

            var response = Answer(request.Buffer);
            if (response is not null)
            {
                await _udp.SendAsync(response, request.RemoteEndPoint, _stop.Token);
            }
        }
    }

    private byte[]? Answer(byte[] query)
    {
        var (name, type, questionEnd) = ReadQuestion(query);
        if (Silent.Contains(name))
        {
            return null;
        }

        if (Garbled.Contains(name))
        {
            // One answer announced, whose data length runs past the end of the message.
            return [.. query.AsSpan(0, 2), 0x84, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, .. query.AsSpan(12, questionEnd - 12), 0xC0, 0x0C, .. BigEndian(type), 0, 1, 0, 0, 0, 60, 0, 200, 1, 2, 3];
        }

        var rcode = NonExistent.Contains(name) ? 3 : ServerFailure.Contains(name) || ServerFailureOfType.Contains((name.ToLowerInvariant(), type)) ? 2 : 0;
        var answers = new List<byte[]>();
        if (rcode == 0 && type == TypeMx && _mx.TryGetValue(name, out var mx))
        {
            answers.AddRange(mx.Select(m => Record(TypeMx, [.. BigEndian((ushort)m.Preference), .. EncodeName(m.Exchange)])));
        }
        else if (rcode == 0 && type == TypeTlsa && _tlsa.TryGetValue(name, out var tlsa))
        {
            answers.AddRange(tlsa.Select(t => Record(TypeTlsa, t)));
        }
        else if (rcode == 0 && type == TypeTxt)
        {
            lock (_txt)
            {
                if (_txt.TryGetValue(name, out var texts))
                {
                    // One second: tests change TXT records (a new MTA-STS id) and must not wait for a resolver cache.
                    answers.AddRange(texts.Select(t => Record(TypeTxt, CharacterStrings(t), ttl: 1)));
                }
            }
        }
        else if (rcode == 0 && type is TypeA or TypeAaaa && _addresses.TryGetValue(name, out var addresses))
        {
            var family = type == TypeA ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6;
            answers.AddRange(addresses.Where(a => a.AddressFamily == family).Select(a => Record(type, a.GetAddressBytes())));
        }

        var response = new List<byte>();
        response.AddRange(query.AsSpan(0, 2).ToArray()); // id
        var recursionDesired = (query[2] & 0x01) != 0;
        response.Add((byte)(0x84 | (recursionDesired ? 1 : 0))); // QR, AA, RD
        response.Add((byte)(0x80 | (Authenticated.Contains(name) && rcode != 2 ? 0x20 : 0) | rcode)); // RA, AD (never on SERVFAIL, as a validating resolver), RCODE
        response.AddRange(BigEndian(1));
        response.AddRange(BigEndian((ushort)answers.Count));
        response.AddRange(BigEndian(0));
        response.AddRange(BigEndian(0));
        response.AddRange(query.AsSpan(12, questionEnd - 12).ToArray());
        foreach (var answer in answers)
        {
            response.AddRange(answer);
        }

        return [.. response];
    }

    private static byte[] Record(ushort type, byte[] data, byte ttl = 60) =>
        [0xC0, 0x0C, .. BigEndian(type), .. BigEndian(1), 0, 0, 0, ttl, .. BigEndian((ushort)data.Length), .. data];

    /// <summary>A TXT record's text as character-strings of at most 255 bytes (a DKIM key record is longer: RFC 6376 3.6.2.2).</summary>
    private static byte[] CharacterStrings(string text) =>
        [.. Encoding.ASCII.GetBytes(text).Chunk(255).SelectMany(chunk => (byte[])[(byte)chunk.Length, .. chunk])];

    private static (string Name, ushort Type, int End) ReadQuestion(byte[] query)
    {
        var labels = new List<string>();
        var position = 12;
        while (query[position] != 0)
        {
            var length = query[position];
            labels.Add(Encoding.ASCII.GetString(query, position + 1, length));
            position += length + 1;
        }

        position++;
        var type = BinaryPrimitives.ReadUInt16BigEndian(query.AsSpan(position));
        return (string.Join('.', labels), type, position + 4);
    }

    private static byte[] EncodeName(string name)
    {
        var bytes = new List<byte>();
        foreach (var label in name.TrimEnd('.').Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            bytes.Add((byte)label.Length);
            bytes.AddRange(Encoding.ASCII.GetBytes(label));
        }

        bytes.Add(0);
        return [.. bytes];
    }

    private static byte[] BigEndian(ushort value) => [(byte)(value >> 8), (byte)value];

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _udp.Dispose();
        await _serving.ContinueWith(_ => { }, TaskScheduler.Default);
        _stop.Dispose();
    }
}
