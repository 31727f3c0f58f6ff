using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SecureFallback.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class ReadingReports : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "ReadingReports",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    GrantId = table.Column<Guid>(type: "TEXT", nullable: false),
                    ReadAt = table.Column<long>(type: "INTEGER", nullable: false),
                    Network = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Browser = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ReadingReports", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_ReadingReports_GrantId",
                table: "ReadingReports",
                column: "GrantId");

            // Readings from a new network still waiting for their notice when the flag was replaced by rows
            // keep their notice: one row each (hand-added to the generated migration, once per provider).
            migrationBuilder.Sql(
                """
                INSERT INTO "ReadingReports" ("GrantId", "ReadAt", "Network", "Browser")
                SELECT "Id", COALESCE("LastReadAt", "FirstReadAt", "CreatedAt"), COALESCE("LastReadNetwork", 'unknown'), COALESCE("LastReadBrowser", 'other')
                FROM "PickupGrants" WHERE "ReopenNoticePending";
                """);

            migrationBuilder.DropIndex(
                name: "IX_PickupGrants_ReopenNoticePending",
                table: "PickupGrants");

            migrationBuilder.DropColumn(
                name: "LastReadAt",
                table: "PickupGrants");

            migrationBuilder.DropColumn(
                name: "LastReadBrowser",
                table: "PickupGrants");

            migrationBuilder.DropColumn(
                name: "LastReadNetwork",
                table: "PickupGrants");

            migrationBuilder.DropColumn(
                name: "ReopenNoticePending",
                table: "PickupGrants");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "ReadingReports");

            migrationBuilder.AddColumn<long>(
                name: "LastReadAt",
                table: "PickupGrants",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "LastReadBrowser",
                table: "PickupGrants",
                type: "TEXT",
                maxLength: 16,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "LastReadNetwork",
                table: "PickupGrants",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "ReopenNoticePending",
                table: "PickupGrants",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.CreateIndex(
                name: "IX_PickupGrants_ReopenNoticePending",
                table: "PickupGrants",
                column: "ReopenNoticePending",
                filter: "\"ReopenNoticePending\"");
        }
    }
}
