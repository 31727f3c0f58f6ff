using Microsoft.Extensions.Options;
using SecureFallback.Core.Pickup;

namespace SecureFallback.Delivery;

/// <summary>Stops the server at start when a <c>SecureFallback:Pickup</c> setting is wrong, naming it (<see cref="PickupOptions.Errors"/>).</summary>
internal sealed class PickupOptionsValidator : IValidateOptions<PickupOptions>
{
    public ValidateOptionsResult Validate(string? name, PickupOptions options) =>
        options.Errors() is { Count: > 0 } errors ? ValidateOptionsResult.Fail(errors) : ValidateOptionsResult.Success;
}
