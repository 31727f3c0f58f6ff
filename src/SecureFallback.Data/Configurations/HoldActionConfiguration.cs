using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SecureFallback.Core.Messages;

namespace SecureFallback.Data.Configurations;

internal sealed class HoldActionConfiguration : IEntityTypeConfiguration<HoldAction>
{
    public void Configure(EntityTypeBuilder<HoldAction> builder)
    {
        builder.ToTable("HoldActions");
        builder.HasKey(a => a.Id);
        builder.Property(a => a.Action).HasMaxLength(16);
        builder.Property(a => a.By).HasMaxLength(HoldAction.ByLength);
        builder.HasIndex(a => a.MessageId);
        builder.HasIndex(a => a.At);
    }
}
