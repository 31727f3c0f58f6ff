using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SecureFallback.Core.Messages;

namespace SecureFallback.Data.Configurations;

internal sealed class RelayUserConfiguration : IEntityTypeConfiguration<RelayUser>
{
    public void Configure(EntityTypeBuilder<RelayUser> builder)
    {
        builder.ToTable("RelayUsers");
        builder.HasKey(u => u.Id);
        builder.Property(u => u.Name).HasMaxLength(256);
        builder.HasIndex(u => u.Name).IsUnique();
    }
}
