using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SecureFallback.Core.Messages;

namespace SecureFallback.Data.Configurations;

internal sealed class MessageContentConfiguration : IEntityTypeConfiguration<MessageContent>
{
    public void Configure(EntityTypeBuilder<MessageContent> builder)
    {
        builder.ToTable("MessageContents");
        builder.HasKey(c => c.MessageId);
        builder.HasOne<QueuedMessage>().WithOne().HasForeignKey<MessageContent>(c => c.MessageId).OnDelete(DeleteBehavior.Cascade);
    }
}
