using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SecureFallback.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class RequireTls : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "RequireTls",
                table: "Messages",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "RequireTls",
                table: "Messages");
        }
    }
}
