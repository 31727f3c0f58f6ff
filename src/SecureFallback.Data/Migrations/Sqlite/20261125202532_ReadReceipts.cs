using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SecureFallback.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class ReadReceipts : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "ReadReceiptPending",
                table: "PickupGrants",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.CreateIndex(
                name: "IX_PickupGrants_ReadReceiptPending",
                table: "PickupGrants",
                column: "ReadReceiptPending",
                filter: "\"ReadReceiptPending\" = 1");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_PickupGrants_ReadReceiptPending",
                table: "PickupGrants");

            migrationBuilder.DropColumn(
                name: "ReadReceiptPending",
                table: "PickupGrants");
        }
    }
}
