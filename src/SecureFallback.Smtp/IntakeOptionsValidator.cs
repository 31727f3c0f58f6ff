using System.Net;
using Microsoft.Extensions.Options;

namespace SecureFallback.Smtp;

/// <summary>Checks intake settings at start so a typo stops the server with a clear message.</summary>
internal sealed class IntakeOptionsValidator : IValidateOptions<IntakeOptions>
{
    public ValidateOptionsResult Validate(string? name, IntakeOptions options)
    {
        var errors = new List<string>();
        if (!IPAddress.TryParse(options.Address, out _))
        {
            errors.Add($"SecureFallback:Intake:Address '{options.Address}' is not an IP address (e.g. 127.0.0.1 or 0.0.0.0).");
        }

        if (options.Port is < 0 or > 65535)
        {
            errors.Add($"SecureFallback:Intake:Port {options.Port} is outside 0-65535.");
        }

        for (var i = 0; i < options.AllowedNetworks.Count; i++)
        {
            if (!IPNetwork.TryParse(options.AllowedNetworks[i], out _))
            {
                errors.Add($"SecureFallback:Intake:AllowedNetworks:{i} '{options.AllowedNetworks[i]}' is not a CIDR network (e.g. 192.0.2.0/24).");
            }
        }

        if (options.MaxMessageBytes < 1024)
        {
            errors.Add($"SecureFallback:Intake:MaxMessageBytes {options.MaxMessageBytes} is too small (at least 1024).");
        }

        if (options.CertificatePath is { } path && !File.Exists(path))
        {
            errors.Add($"SecureFallback:Intake:CertificatePath '{path}' does not exist.");
        }

        if (options.SessionTimeout <= TimeSpan.Zero || options.CommandTimeout <= TimeSpan.Zero)
        {
            errors.Add("SecureFallback:Intake:SessionTimeout and CommandTimeout must be positive.");
        }

        if (options.MaxConnections < 1 || options.MaxConnectionsPerAddress < 1 || options.MaxConnectionsPerAddress > options.MaxConnections)
        {
            errors.Add("SecureFallback:Intake:MaxConnections and MaxConnectionsPerAddress must be at least 1, and MaxConnectionsPerAddress no more than MaxConnections.");
        }

        if (options.MaxCommandsBeforeMail < 5)
        {
            errors.Add($"SecureFallback:Intake:MaxCommandsBeforeMail {options.MaxCommandsBeforeMail} is too small (at least 5: EHLO, STARTTLS, EHLO, AUTH need room).");
        }

        if (options.MaxDataLineBytes < 998)
        {
            errors.Add($"SecureFallback:Intake:MaxDataLineBytes {options.MaxDataLineBytes} is below the 998 octets RFC 5322 allows.");
        }

        if (options.AuthFailuresPerAddress < 1 || options.AuthFailureWindow <= TimeSpan.Zero)
        {
            errors.Add("SecureFallback:Intake:AuthFailuresPerAddress must be at least 1 and AuthFailureWindow positive.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
