using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace SecureFallback.Data.Postgres.Migrations
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
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    GrantId = table.Column<Guid>(type: "uuid", nullable: false),
                    ReadAt = table.Column<long>(type: "bigint", nullable: false),
                    Network = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Browser = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false)
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
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "LastReadBrowser",
                table: "PickupGrants",
                type: "character varying(16)",
                maxLength: 16,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "LastReadNetwork",
                table: "PickupGrants",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "ReopenNoticePending",
                table: "PickupGrants",
                type: "boolean",
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
