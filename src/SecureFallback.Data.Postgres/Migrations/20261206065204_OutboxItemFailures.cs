using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SecureFallback.Data.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class OutboxItemFailures : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Added by hand to the generated migration: reports whose grant is already gone would make the new
            // constraint fail (PostgreSQL) or stay as orphans the read-receipt outbox cannot send.
            migrationBuilder.Sql("DELETE FROM \"ReadingReports\" WHERE \"GrantId\" NOT IN (SELECT \"Id\" FROM \"PickupGrants\");");

            migrationBuilder.AddForeignKey(
                name: "FK_ReadingReports_PickupGrants_GrantId",
                table: "ReadingReports",
                column: "GrantId",
                principalTable: "PickupGrants",
                principalColumn: "Id",
                onDelete: ReferentialAction.Cascade);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "FK_ReadingReports_PickupGrants_GrantId",
                table: "ReadingReports");
        }
    }
}
