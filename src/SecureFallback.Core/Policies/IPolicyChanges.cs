namespace SecureFallback.Core.Policies;

/// <summary>Told by the admin console after it changed policies or rules, so deliveries use them at once.</summary>
public interface IPolicyChanges
{
    void Changed();
}
