using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace SecureFallback.Data.Postgres;

/// <summary>Lets <c>dotnet ef migrations add</c> build the PostgreSQL model without a server (no connection is opened).</summary>
internal sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<SecureFallbackDbContext>
{
    public SecureFallbackDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SecureFallbackDbContext>()
            .UseNpgsql("Host=localhost;Database=design-time", npgsql => npgsql.MigrationsAssembly(DatabaseProvider.PostgresMigrationsAssembly))
            .UseApplicationServiceProvider(IdentitySchema.DesignTimeServices())
            .Options);
}
