using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using SecureFallback.Core.Messages;
using SecureFallback.Core.Pickup;
using SecureFallback.Core.Policies;

namespace SecureFallback.Data;

/// <summary>
/// The queue, its audit trail, pickup grants, relay accounts and (through Identity) portal accounts; with
/// PostgreSQL also the key rings every instance shares (master keys sealed, Data Protection keys encrypted).
/// </summary>
public sealed partial class SecureFallbackDbContext(DbContextOptions<SecureFallbackDbContext> options) : IdentityDbContext<PortalUser>(options), IDataProtectionKeyContext
{
    public DbSet<QueuedMessage> Messages => Set<QueuedMessage>();

    public DbSet<MessageContent> MessageContents => Set<MessageContent>();

    public DbSet<QueuedRecipient> Recipients => Set<QueuedRecipient>();

    public DbSet<DeliveryAttempt> DeliveryAttempts => Set<DeliveryAttempt>();

    public DbSet<HoldAction> HoldActions => Set<HoldAction>();

    public DbSet<RelayUser> RelayUsers => Set<RelayUser>();

    public DbSet<PickupGrant> PickupGrants => Set<PickupGrant>();

    /// <summary>Readings from new networks waiting to be reported to the sender (an outbox).</summary>
    public DbSet<ReadingReport> ReadingReports => Set<ReadingReport>();

    public DbSet<TlsPolicy> TlsPolicies => Set<TlsPolicy>();

    public DbSet<ContentRule> ContentRules => Set<ContentRule>();

    public DbSet<MtaStsPolicy> MtaStsPolicies => Set<MtaStsPolicy>();

    /// <summary>TLS session attempts per day and kind, for SMTP TLS reports (RFC 8460).</summary>
    public DbSet<Core.Reporting.TlsSessionCount> TlsSessionCounts => Set<Core.Reporting.TlsSessionCount>();

    /// <summary>TLS reports sent (or being retried): one per day, domain and <c>rua</c> address.</summary>
    public DbSet<Core.Reporting.TlsReportSend> TlsReportSends => Set<Core.Reporting.TlsReportSend>();

    public DbSet<StoredMasterKey> MasterKeys => Set<StoredMasterKey>();

    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(SecureFallbackDbContext).Assembly);
        modelBuilder.Entity<StoredMasterKey>(key =>
        {
            key.ToTable("MasterKeys");
            key.HasKey(k => k.Version);
            key.Property(k => k.Version).ValueGeneratedNever();
        });
        modelBuilder.Entity<PortalUser>().HasIndex(u => u.DisownReportPending).HasFilter("\"DisownReportPending\"");
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // SQLite cannot order or compare DateTimeOffset; store UTC ticks so queue scans stay indexable.
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<DateTimeOffsetToUtcTicksConverter>();
        configurationBuilder.Properties<DateTimeOffset?>().HaveConversion<DateTimeOffsetToUtcTicksConverter>();
    }
}
