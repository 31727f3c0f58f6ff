using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace SecureFallback.Data;

/// <summary>Lets <c>dotnet ef migrations add</c> build the model without starting the server.</summary>
internal sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<SecureFallbackDbContext>
{
    public SecureFallbackDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SecureFallbackDbContext>().UseSqlite("Data Source=design-time.db")
            .UseApplicationServiceProvider(IdentitySchema.DesignTimeServices()).Options);
}
