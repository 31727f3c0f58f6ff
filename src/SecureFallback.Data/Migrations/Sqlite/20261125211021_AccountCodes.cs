using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SecureFallback.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class AccountCodes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "CodeSentAt",
                table: "AspNetUsers",
                type: "INTEGER",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "CodeSentAt",
                table: "AspNetUsers");
        }
    }
}
