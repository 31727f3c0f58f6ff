using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SecureFallback.Core.Messages;

namespace SecureFallback.Data.Configurations;

internal sealed class QueuedRecipientConfiguration : IEntityTypeConfiguration<QueuedRecipient>
{
    public void Configure(EntityTypeBuilder<QueuedRecipient> builder)
    {
        builder.ToTable("Recipients");
        builder.HasKey(r => r.Id);
        builder.Property(r => r.Address).HasMaxLength(512);
        builder.Property(r => r.Domain).HasMaxLength(255);
        builder.Property(r => r.Reason).HasMaxLength(64);
        builder.Property(r => r.StatusCode).HasMaxLength(16);
        builder.Property(r => r.RemoteHost).HasMaxLength(255);
        builder.Property(r => r.Diagnostic).HasMaxLength(1024);
        builder.Property(r => r.LeaseOwner).HasMaxLength(128);
        builder.HasIndex(r => new { r.Status, r.NextAttemptAt });
        // Bare boolean filters: valid in SQLite and PostgreSQL alike, and the form EF writes for `Where(r => r.DsnPending)`.
        builder.HasIndex(r => r.DsnPending).HasFilter("\"DsnPending\"");
        builder.HasIndex(r => r.PickupNoticePending).HasFilter("\"PickupNoticePending\"");
        builder.HasIndex(r => r.LockReportPending).HasFilter("\"LockReportPending\"");
        builder.HasIndex(r => new { r.Status, r.HoldUntil });
        builder.HasIndex(r => r.RevokeConfirmationPending).HasFilter("\"RevokeConfirmationPending\"");
        builder.Property(r => r.RevokeTokenHash).HasMaxLength(32);
        builder.Property(r => r.ExtendTokenHash).HasMaxLength(32);
        builder.HasIndex(r => r.RevokeTokenHash).IsUnique();
        builder.HasIndex(r => r.ExtendTokenHash).IsUnique();
    }
}
