using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SecureFallback.Core.Messages;

namespace SecureFallback.Data.Configurations;

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
