using System.Net;

namespace SecureFallback.Smtp.Net;

/// <summary>
/// Counts open SMTP connections in total and per client address, so one client (or a slowloris) cannot take
/// every session the intake can hold.
/// </summary>
internal sealed class ConnectionLimiter(int maxTotal, int maxPerAddress)
{
    private readonly Dictionary<IPAddress, int> _perAddress = [];
    private int _total;

    /// <summary>Reserves a slot for <paramref name="address"/>; null when it may connect, else the reason it may not.</summary>
    public string? TryEnter(IPAddress address)
    {
        lock (_perAddress)
        {
            if (_total >= maxTotal)
            {
                return "421 4.7.0 Too many connections in total, try again later";
            }

            var current = _perAddress.GetValueOrDefault(address);
            if (current >= maxPerAddress)
            {
                return "421 4.7.0 Too many connections from your address, try again later";
            }

            _perAddress[address] = current + 1;
            _total++;
            return null;
        }
    }

    public void Leave(IPAddress address)
    {
        lock (_perAddress)
        {
            var remaining = _perAddress.GetValueOrDefault(address) - 1;
            if (remaining <= 0)
            {
                _perAddress.Remove(address);
            }
            else
            {
                _perAddress[address] = remaining;
            }

            _total--;
        }
    }
}
