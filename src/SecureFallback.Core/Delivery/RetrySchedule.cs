namespace SecureFallback.Core.Delivery;

/// <summary>Retry delays after transient failures; once the list is used up its last step repeats.</summary>
public sealed class RetrySchedule
{
    private readonly IReadOnlyList<TimeSpan> _steps;

    public RetrySchedule(IReadOnlyList<TimeSpan> steps)
    {
        if (steps.Count == 0)
        {
            throw new ArgumentException("A retry schedule needs at least one step.", nameof(steps));
        }

        _steps = steps;
    }

    /// <summary>Delay before the next attempt after <paramref name="failedAttempts"/> failed ones (1 = after the first).</summary>
    public TimeSpan DelayAfter(int failedAttempts)
    {
        var index = Math.Clamp(failedAttempts - 1, 0, _steps.Count - 1);
        return _steps[index];
    }
}
