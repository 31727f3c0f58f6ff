using SecureFallback.Data.Writes;

namespace SecureFallback.Server.Tests;

/// <summary>
/// A multi-row INSERT stays within the databases' limits: a group of large sealed messages (PostgreSQL stores each
/// in the row, and refuses a statement over 1 GiB) goes in several statements, each under the byte budget.
/// </summary>
public sealed class StatementSplitTests
{
    [Fact]
    public void Rows_AreSplit_ByCountAndByBytes_KeepingTheirOrder()
    {
        long[] sizes = [10, 10, 10, 30, 5, 5, 5, 5, 5, 100, 1];

        var statements = DatabaseWrite.Split(sizes, maxRows: 4, maxBytes: 25, size => size).ToList();

        Assert.Equal([[10, 10], [10], [30], [5, 5, 5, 5], [5], [100], [1]], statements);
    }
}
