using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SecureFallback.Core.Policies;

namespace SecureFallback.Data.Configurations;

internal sealed class TlsPolicyConfiguration : IEntityTypeConfiguration<TlsPolicy>
{
    public void Configure(EntityTypeBuilder<TlsPolicy> builder)
    {
        builder.ToTable("TlsPolicies");
        builder.HasKey(p => p.Pattern);
        builder.Property(p => p.Pattern).HasMaxLength(255);
        builder.Property(p => p.Source).HasMaxLength(16);
    }
}
