using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SecureFallback.Core.Pickup;

namespace SecureFallback.Data.Configurations;

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
        // Grants are looked up by the key (PickupGrant.AddressKeyOf), compared exactly: never by lower(Address), which
        // folds only ASCII on SQLite and by the collation on PostgreSQL.
        builder.Property(g => g.AddressKey).HasMaxLength(512);
        builder.HasIndex(g => g.AddressKey);
        builder.HasIndex(g => g.RecipientId).IsUnique();
        builder.HasIndex(g => g.ReadReceiptPending).HasFilter("\"ReadReceiptPending\"");
        builder.Property(g => g.PinHash).HasMaxLength(48);
        builder.Property(g => g.PinResetTokenHash).HasMaxLength(32);
        builder.HasIndex(g => g.PinResetTokenHash).IsUnique();
        builder.Property(g => g.PinIssuedBy).HasMaxLength(300);
        builder.Property(g => g.PinUnlockedStamp).HasMaxLength(256);
        builder.Property(g => g.FirstReadNetwork).HasMaxLength(64);
        builder.Property(g => g.FirstReadBrowser).HasMaxLength(16);
        builder.Property(g => g.ReadNetworks).HasMaxLength(320); // 1 + MaxReopenNotices networks
    }
}
