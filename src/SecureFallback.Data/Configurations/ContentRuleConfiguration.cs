using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SecureFallback.Core.Policies;

namespace SecureFallback.Data.Configurations;

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
