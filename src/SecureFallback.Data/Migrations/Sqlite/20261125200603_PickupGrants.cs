using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SecureFallback.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class PickupGrants : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "PickupNoticePending",
                table: "Recipients",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.CreateTable(
                name: "PickupGrants",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    RecipientId = table.Column<long>(type: "INTEGER", nullable: false),
                    MessageId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Address = table.Column<string>(type: "TEXT", maxLength: 512, nullable: false),
                    TokenHash = table.Column<byte[]>(type: "BLOB", maxLength: 32, nullable: false),
                    ReferenceCode = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    ExpiresAt = table.Column<long>(type: "INTEGER", nullable: false),
                    TokenUsedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    FirstReadAt = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_PickupGrants", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Recipients_PickupNoticePending",
                table: "Recipients",
                column: "PickupNoticePending",
                filter: "\"PickupNoticePending\" = 1");

            migrationBuilder.CreateIndex(
                name: "IX_Recipients_Status_HoldUntil",
                table: "Recipients",
                columns: new[] { "Status", "HoldUntil" });

            migrationBuilder.CreateIndex(
                name: "IX_PickupGrants_Address",
                table: "PickupGrants",
                column: "Address");

            migrationBuilder.CreateIndex(
                name: "IX_PickupGrants_RecipientId",
                table: "PickupGrants",
                column: "RecipientId",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_PickupGrants_ReferenceCode",
                table: "PickupGrants",
                column: "ReferenceCode",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_PickupGrants_TokenHash",
                table: "PickupGrants",
                column: "TokenHash",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "PickupGrants");

            migrationBuilder.DropIndex(
                name: "IX_Recipients_PickupNoticePending",
                table: "Recipients");

            migrationBuilder.DropIndex(
                name: "IX_Recipients_Status_HoldUntil",
                table: "Recipients");

            migrationBuilder.DropColumn(
                name: "PickupNoticePending",
                table: "Recipients");
        }
    }
}
