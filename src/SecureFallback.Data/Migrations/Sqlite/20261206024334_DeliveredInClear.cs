using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SecureFallback.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class DeliveredInClear : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "DeliveredInClear",
                table: "Recipients",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            // Backfill (hand-written): plain deliveries were recorded only in the diagnostic text until now.
            migrationBuilder.Sql("UPDATE \"Recipients\" SET \"DeliveredInClear\" = 1 WHERE \"Status\" = 1 AND \"Diagnostic\" LIKE 'delivered WITHOUT TLS%'");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "DeliveredInClear",
                table: "Recipients");
        }
    }
}
