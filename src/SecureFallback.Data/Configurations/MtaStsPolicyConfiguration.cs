using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SecureFallback.Core.Policies;

namespace SecureFallback.Data.Configurations;

internal sealed class MtaStsPolicyConfiguration : IEntityTypeConfiguration<MtaStsPolicy>
{
    public void Configure(EntityTypeBuilder<MtaStsPolicy> builder)
    {
        builder.ToTable("MtaStsPolicies");
        builder.HasKey(p => p.Domain);
        builder.Property(p => p.Domain).HasMaxLength(255);
        builder.Property(p => p.PolicyId).HasMaxLength(64);
        // Stored by its RFC 8461 name, as before the enum: the column and its values are unchanged.
        builder.Property(p => p.Mode).HasMaxLength(8).HasConversion(m => PolicyNames.Of(m), s => PolicyNames.MtaStsModeOf(s));
        builder.Property(p => p.MxPatterns).HasMaxLength(4096);
    }
}
