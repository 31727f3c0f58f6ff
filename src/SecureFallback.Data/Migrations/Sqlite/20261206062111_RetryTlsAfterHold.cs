using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SecureFallback.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class RetryTlsAfterHold : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "HeldAt",
                table: "Recipients",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "RetryingTlsAfterHold",
                table: "Recipients",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<long>(
                name: "TlsRetriedAt",
                table: "Recipients",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "RedeliveryClaimedAt",
                table: "PickupGrants",
                type: "INTEGER",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "HeldAt",
                table: "Recipients");

            migrationBuilder.DropColumn(
                name: "RetryingTlsAfterHold",
                table: "Recipients");

            migrationBuilder.DropColumn(
                name: "TlsRetriedAt",
                table: "Recipients");

            migrationBuilder.DropColumn(
                name: "RedeliveryClaimedAt",
                table: "PickupGrants");
        }
    }
}
