using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace SecureFallback.Data;

/// <summary>Stores a <see cref="DateTimeOffset"/> as UTC ticks (a sortable integer on every provider).</summary>
internal sealed class DateTimeOffsetToUtcTicksConverter() : ValueConverter<DateTimeOffset, long>(
    value => value.UtcTicks,
    ticks => new DateTimeOffset(ticks, TimeSpan.Zero));
