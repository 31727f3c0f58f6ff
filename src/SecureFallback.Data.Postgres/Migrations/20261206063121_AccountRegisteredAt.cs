using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SecureFallback.Data.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class AccountRegisteredAt : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "RegisteredAt",
                table: "AspNetUsers",
                type: "bigint",
                nullable: true);

            // Finished accounts (those with a password) were registered no later than their row was made: the best
            // date there is (hand-added to the generated migration, once per provider). Pending rows stay null.
            migrationBuilder.Sql(
                """
                UPDATE "AspNetUsers" SET "RegisteredAt" = "CreatedAt" WHERE "PasswordHash" IS NOT NULL;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "RegisteredAt",
                table: "AspNetUsers");
        }
    }
}
