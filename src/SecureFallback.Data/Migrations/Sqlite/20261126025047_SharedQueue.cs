using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SecureFallback.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class SharedQueue : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Recipients_DsnPending",
                table: "Recipients");

            migrationBuilder.DropIndex(
                name: "IX_Recipients_PickupNoticePending",
                table: "Recipients");

            migrationBuilder.DropIndex(
                name: "IX_PickupGrants_ReadReceiptPending",
                table: "PickupGrants");

            migrationBuilder.AddColumn<string>(
                name: "LeaseOwner",
                table: "Recipients",
                type: "TEXT",
                maxLength: 128,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "LeaseUntil",
                table: "Recipients",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "DataProtectionKeys",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    FriendlyName = table.Column<string>(type: "TEXT", nullable: true),
                    Xml = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_DataProtectionKeys", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "MasterKeys",
                columns: table => new
                {
                    Version = table.Column<int>(type: "INTEGER", nullable: false),
                    Sealed = table.Column<byte[]>(type: "BLOB", nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_MasterKeys", x => x.Version);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Recipients_DsnPending",
                table: "Recipients",
                column: "DsnPending",
                filter: "\"DsnPending\"");

            migrationBuilder.CreateIndex(
                name: "IX_Recipients_PickupNoticePending",
                table: "Recipients",
                column: "PickupNoticePending",
                filter: "\"PickupNoticePending\"");

            migrationBuilder.CreateIndex(
                name: "IX_PickupGrants_ReadReceiptPending",
                table: "PickupGrants",
                column: "ReadReceiptPending",
                filter: "\"ReadReceiptPending\"");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "DataProtectionKeys");

            migrationBuilder.DropTable(
                name: "MasterKeys");

            migrationBuilder.DropIndex(
                name: "IX_Recipients_DsnPending",
                table: "Recipients");

            migrationBuilder.DropIndex(
                name: "IX_Recipients_PickupNoticePending",
                table: "Recipients");

            migrationBuilder.DropIndex(
                name: "IX_PickupGrants_ReadReceiptPending",
                table: "PickupGrants");

            migrationBuilder.DropColumn(
                name: "LeaseOwner",
                table: "Recipients");

            migrationBuilder.DropColumn(
                name: "LeaseUntil",
                table: "Recipients");

            migrationBuilder.CreateIndex(
                name: "IX_Recipients_DsnPending",
                table: "Recipients",
                column: "DsnPending",
                filter: "\"DsnPending\" = 1");

            migrationBuilder.CreateIndex(
                name: "IX_Recipients_PickupNoticePending",
                table: "Recipients",
                column: "PickupNoticePending",
                filter: "\"PickupNoticePending\" = 1");

            migrationBuilder.CreateIndex(
                name: "IX_PickupGrants_ReadReceiptPending",
                table: "PickupGrants",
                column: "ReadReceiptPending",
                filter: "\"ReadReceiptPending\" = 1");
        }
    }
}
