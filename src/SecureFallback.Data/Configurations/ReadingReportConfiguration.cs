using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SecureFallback.Core.Pickup;

namespace SecureFallback.Data.Configurations;

internal sealed class ReadingReportConfiguration : IEntityTypeConfiguration<ReadingReport>
{
    public void Configure(EntityTypeBuilder<ReadingReport> builder)
    {
        builder.ToTable("ReadingReports");
        builder.HasKey(r => r.Id);
        builder.Property(r => r.Network).HasMaxLength(64);
        builder.Property(r => r.Browser).HasMaxLength(16);
        builder.HasIndex(r => r.GrantId);
        // A report belongs to its grant: purging the grant removes its reports, so no orphan ever reaches the outbox.
        builder.HasOne<PickupGrant>().WithMany().HasForeignKey(r => r.GrantId).OnDelete(DeleteBehavior.Cascade);
    }
}
