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

internal sealed class ContentRuleConfiguration : IEntityTypeConfiguration<ContentRule>
{
    public void Configure(EntityTypeBuilder<ContentRule> builder)
    {
        builder.ToTable("ContentRules");
        builder.HasKey(r => r.Id);
        builder.HasIndex(r => r.Position);
        builder.Property(r => r.SubjectContains).HasMaxLength(256);
        builder.Property(r => r.HeaderName).HasMaxLength(128);
        builder.Property(r => r.HeaderContains).HasMaxLength(256);
        builder.Property(r => r.SenderAddress).HasMaxLength(320);
        builder.Property(r => r.RecipientDomain).HasMaxLength(255);
        builder.Property(r => r.Action).HasMaxLength(16);
        builder.Property(r => r.Source).HasMaxLength(16);
    }
}

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
