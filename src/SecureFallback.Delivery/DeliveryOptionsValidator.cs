using System.Net;
using Microsoft.Extensions.Options;
using MimeKit;
using SecureFallback.Delivery.Routing;

namespace SecureFallback.Delivery;

/// <summary>Checks delivery, DNS and notice settings at start.</summary>
internal sealed class DeliveryOptionsValidator : IValidateOptions<DeliveryOptions>, IValidateOptions<DnsOptions>, IValidateOptions<NoticeOptions>
{
    public ValidateOptionsResult Validate(string? name, DeliveryOptions options)
    {
        var errors = new List<string>();
        if (options.Port is < 1 or > 65535)
        {
            errors.Add($"SecureFallback:Delivery:Port {options.Port} is outside 1-65535.");
        }

        foreach (var (domain, route) in options.Routes)
        {
            if (!RouteParser.TryParse(route, options.Port, out _))
            {
                errors.Add($"SecureFallback:Delivery:Routes:{domain} '{route}' is not host:port (e.g. 127.0.0.1:2601 or mx.example.net:25).");
            }
        }

        for (var i = 0; i < options.RetrySchedule.Count; i++)
        {
            if (options.RetrySchedule[i] <= TimeSpan.Zero)
            {
                errors.Add($"SecureFallback:Delivery:RetrySchedule:{i} must be a positive time span such as 00:05:00.");
            }
        }

        if (options.MaxQueueTime <= TimeSpan.Zero)
        {
            errors.Add("SecureFallback:Delivery:MaxQueueTime must be positive (e.g. 5.00:00:00).");
        }

        if (string.IsNullOrWhiteSpace(options.HeloName) || options.HeloName.Any(char.IsWhiteSpace))
        {
            errors.Add($"SecureFallback:Delivery:HeloName '{options.HeloName}' must be a host name without spaces.");
        }

        if (options.ConnectionsPerDomain is < 1 or > 100)
        {
            errors.Add("SecureFallback:Delivery:ConnectionsPerDomain must be between 1 and 100.");
        }

        if (options.LeaseDuration < TimeSpan.FromSeconds(5))
        {
            errors.Add("SecureFallback:Delivery:LeaseDuration must be at least 5 seconds.");
        }

        if (options.PollInterval < TimeSpan.FromSeconds(1))
        {
            errors.Add("SecureFallback:Delivery:PollInterval must be at least 1 second (e.g. 00:00:15).");
        }

        if (options.ConnectTimeout <= TimeSpan.Zero || options.CommandTimeout <= TimeSpan.Zero || options.MaxParallelDomains < 1)
        {
            errors.Add("SecureFallback:Delivery:ConnectTimeout, CommandTimeout and MaxParallelDomains must be positive.");
        }

        if (options.DataTerminationTimeout < TimeSpan.FromMinutes(10))
        {
            errors.Add("SecureFallback:Delivery:DataTerminationTimeout must be at least 10 minutes (RFC 5321 4.5.3.2.6), e.g. 00:10:00.");
        }

        for (var i = 0; i < options.TrustedRoots.Count; i++)
        {
            if (!Transport.TrustedRoots.TryLoad(options.TrustedRoots[i], out var problem))
            {
                errors.Add($"SecureFallback:Delivery:TrustedRoots:{i} '{options.TrustedRoots[i]}': {problem}");
            }
        }

        return Result(errors);
    }

    public ValidateOptionsResult Validate(string? name, DnsOptions options)
    {
        var errors = new List<string>();
        for (var i = 0; i < options.Servers.Count; i++)
        {
            if (!IPEndPoint.TryParse(options.Servers[i], out _))
            {
                errors.Add($"SecureFallback:Dns:Servers:{i} '{options.Servers[i]}' is not ip or ip:port.");
            }
        }

        return Result(errors);
    }

    public ValidateOptionsResult Validate(string? name, NoticeOptions options)
    {
        var errors = new List<string>();
        if (!MailboxAddress.TryParse(options.From, out var address) || !address.Address.Contains('@'))
        {
            errors.Add($"SecureFallback:Notices:From '{options.From}' is not a mail address.");
        }

        if (options.DkimKeyPath is { } keyPath)
        {
            if (!File.Exists(keyPath))
            {
                errors.Add($"SecureFallback:Notices:DkimKeyPath '{keyPath}' does not exist.");
            }

            if (string.IsNullOrWhiteSpace(options.DkimSelector))
            {
                errors.Add("SecureFallback:Notices:DkimSelector is required when DkimKeyPath is set.");
            }
        }

        if (!Notices.NoticeLanguageSetting.TryParse(options.Language, out _, out _) || options.Language.Contains(','))
        {
            errors.Add($"SecureFallback:Notices:Language '{options.Language}' must be one of {Notices.NoticeLanguageSetting.Supported}.");
        }

        return Result(errors);
    }

    private static ValidateOptionsResult Result(List<string> errors) =>
        errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
}
