using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using SecureFallback.Core.Messages;
using SecureFallback.Core.Pickup;
using SecureFallback.Core.Policies;
using SecureFallback.Data.Writes;

namespace SecureFallback.Data;

/// <summary>
/// The queue, its audit trail, pickup grants, relay accounts and (through Identity) portal accounts; with
/// PostgreSQL also the key rings every instance shares (master keys sealed, Data Protection keys encrypted).
/// </summary>
public sealed class SecureFallbackDbContext(DbContextOptions<SecureFallbackDbContext> options) : IdentityDbContext<PortalUser>(options), IDataProtectionKeyContext
{
    public DbSet<QueuedMessage> Messages => Set<QueuedMessage>();

    public DbSet<MessageContent> MessageContents => Set<MessageContent>();

    public DbSet<QueuedRecipient> Recipients => Set<QueuedRecipient>();

    public DbSet<DeliveryAttempt> DeliveryAttempts => Set<DeliveryAttempt>();

    public DbSet<RelayUser> RelayUsers => Set<RelayUser>();

    public DbSet<PickupGrant> PickupGrants => Set<PickupGrant>();

    public DbSet<TlsPolicy> TlsPolicies => Set<TlsPolicy>();

    public DbSet<ContentRule> ContentRules => Set<ContentRule>();

    public DbSet<MtaStsPolicy> MtaStsPolicies => Set<MtaStsPolicy>();

    public DbSet<StoredMasterKey> MasterKeys => Set<StoredMasterKey>();

    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    /// <summary>The write gate this context holds, for a write transaction or a single save; null when none.</summary>
    internal IDisposable? WriteHold { get; set; }

    /// <summary>The current write transaction deleted sealed content (see <see cref="SqliteWalCheckpointer"/>).</summary>
    internal bool PurgedContent { get; set; }

    /// <summary>The hold taken for one save outside a write transaction, released when the save ends.</summary>
    internal IDisposable? SaveHold { get; set; }

    /// <summary>
    /// Begins a write transaction, after the writes of this process ahead of it (see <see cref="WriteDurability"/>
    /// for <paramref name="durability"/>). Every transaction that writes goes through here; plain saves outside one
    /// take their turn by themselves.
    /// </summary>
    public async Task<DatabaseWrite> BeginWriteAsync(WriteDurability durability, CancellationToken cancellationToken)
    {
        if (durability == WriteDurability.Relaxed)
        {
            await this.UseRelaxedDurabilityAsync(cancellationToken);
        }

        var hold = await EnterWriteGateAsync(cancellationToken);
        try
        {
            return new DatabaseWrite(this, await Database.BeginTransactionAsync(cancellationToken), hold);
        }
        catch
        {
            WriteHold = null;
            hold?.Dispose();
            throw;
        }
    }

    /// <summary>Runs work that begins its own transactions (migrations) holding the write gate.</summary>
    internal async Task HoldingWriteGateAsync(Func<Task> work, CancellationToken cancellationToken)
    {
        var hold = await EnterWriteGateAsync(cancellationToken);
        try
        {
            await work();
        }
        finally
        {
            WriteHold = null;
            hold?.Dispose();
        }
    }

    /// <summary>Takes the write gate for this context (marking it writing); null when no gate is configured.</summary>
    private async Task<IDisposable?> EnterWriteGateAsync(CancellationToken cancellationToken)
    {
        if (WriteHold is not null)
        {
            throw new InvalidOperationException("This context is already writing.");
        }

        var gate = this.GetService<IDbContextOptions>().FindExtension<CoreOptionsExtension>()?
            .Interceptors?.OfType<WriteGateInterceptor>().FirstOrDefault()?.Gate;
        var hold = gate is null ? null : await gate.EnterAsync(cancellationToken);
        WriteHold = hold ?? NoGate.Instance;
        return hold;
    }

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
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // SQLite cannot order or compare DateTimeOffset; store UTC ticks so queue scans stay indexable.
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<DateTimeOffsetToUtcTicksConverter>();
        configurationBuilder.Properties<DateTimeOffset?>().HaveConversion<DateTimeOffsetToUtcTicksConverter>();
    }
}

/// <summary>Marks a context writing where no gate is configured (design-time and tool contexts).</summary>
file sealed class NoGate : IDisposable
{
    public static readonly NoGate Instance = new();

    public void Dispose()
    {
    }
}
