using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SecureFallback.Core.Messages;
using SecureFallback.Core.Pickup;

namespace SecureFallback.Data.Configurations;

internal sealed class QueuedMessageConfiguration : IEntityTypeConfiguration<QueuedMessage>
{
    public void Configure(EntityTypeBuilder<QueuedMessage> builder)
    {
        builder.ToTable("Messages");
        builder.HasKey(m => m.Id);
        builder.Property(m => m.EnvelopeFrom).HasMaxLength(512);
        builder.Property(m => m.ClientAddress).HasMaxLength(64);
        builder.Property(m => m.AuthenticatedUser).HasMaxLength(256);
        builder.HasMany(m => m.Recipients).WithOne(r => r.Message).HasForeignKey(r => r.MessageId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(m => m.ReceivedAt);
    }
}

internal sealed class MessageContentConfiguration : IEntityTypeConfiguration<MessageContent>
{
    public void Configure(EntityTypeBuilder<MessageContent> builder)
    {
        builder.ToTable("MessageContents");
        builder.HasKey(c => c.MessageId);
        builder.HasOne<QueuedMessage>().WithOne().HasForeignKey<MessageContent>(c => c.MessageId).OnDelete(DeleteBehavior.Cascade);
    }
}

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
        builder.HasIndex(r => new { r.Status, r.HoldUntil });
    }
}

internal sealed class DeliveryAttemptConfiguration : IEntityTypeConfiguration<DeliveryAttempt>
{
    public void Configure(EntityTypeBuilder<DeliveryAttempt> builder)
    {
        builder.ToTable("DeliveryAttempts");
        builder.HasKey(a => a.Id);
        builder.Property(a => a.Host).HasMaxLength(255);
        builder.Property(a => a.IpAddress).HasMaxLength(64);
        builder.Property(a => a.Reason).HasMaxLength(64);
        builder.Property(a => a.TlsProtocol).HasMaxLength(32);
        builder.Property(a => a.TlsCipher).HasMaxLength(128);
        builder.Property(a => a.CertificateSubject).HasMaxLength(1024);
        builder.Property(a => a.CertificateSha256).HasMaxLength(64);
        builder.Property(a => a.SmtpReply).HasMaxLength(1024);
        builder.HasIndex(a => a.RecipientId);
        builder.HasIndex(a => a.MessageId);
    }
}

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

internal sealed class PickupGrantConfiguration : IEntityTypeConfiguration<PickupGrant>
{
    public void Configure(EntityTypeBuilder<PickupGrant> builder)
    {
        builder.ToTable("PickupGrants");
        builder.HasKey(g => g.Id);
        builder.Property(g => g.Address).HasMaxLength(512);
        builder.Property(g => g.ReferenceCode).HasMaxLength(16);
        builder.Property(g => g.TokenHash).HasMaxLength(32);
        builder.HasIndex(g => g.TokenHash).IsUnique();
        builder.HasIndex(g => g.ReferenceCode).IsUnique();
        builder.HasIndex(g => g.Address);
        builder.HasIndex(g => g.RecipientId).IsUnique();
        builder.HasIndex(g => g.ReadReceiptPending).HasFilter("\"ReadReceiptPending\"");
    }
}
