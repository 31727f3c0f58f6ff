using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SecureFallback.Core.Messages;

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
        builder.Property(m => m.RepliedBy).HasMaxLength(320);
        builder.HasIndex(m => m.ReceivedAt);
        builder.HasIndex(m => m.InReplyToMessageId);
    }
}
