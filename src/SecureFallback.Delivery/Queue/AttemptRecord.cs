using System.Net;
using SecureFallback.Core.Delivery;
using SecureFallback.Delivery.Transport;

namespace SecureFallback.Delivery.Queue;

/// <summary>One host's result for one recipient, with where it happened and what TLS was negotiated.</summary>
internal sealed record AttemptRecord(string Host, IPAddress? Address, int Port, HostAttemptResult Result, TlsSessionInfo? Tls, DateTimeOffset StartedAt, Core.Policies.TlsLevel? RequiredLevel = null);
