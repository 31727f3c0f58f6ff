using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SecureFallback.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class TlsPolicies : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "PolicyAction",
                table: "Recipients",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "PolicyLevel",
                table: "Recipients",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "PolicySource",
                table: "Recipients",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "MeetsSecure",
                table: "DeliveryAttempts",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "MeetsVerify",
                table: "DeliveryAttempts",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "RequiredLevel",
                table: "DeliveryAttempts",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "ContentRules",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Position = table.Column<int>(type: "INTEGER", nullable: false),
                    SubjectContains = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    HeaderName = table.Column<string>(type: "TEXT", maxLength: 128, nullable: true),
                    HeaderContains = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    SenderAddress = table.Column<string>(type: "TEXT", maxLength: 320, nullable: true),
                    RecipientDomain = table.Column<string>(type: "TEXT", maxLength: 255, nullable: true),
                    Action = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    Source = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ContentRules", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "TlsPolicies",
                columns: table => new
                {
                    Pattern = table.Column<string>(type: "TEXT", maxLength: 255, nullable: false),
                    Level = table.Column<int>(type: "INTEGER", nullable: false),
                    OnFailure = table.Column<int>(type: "INTEGER", nullable: false),
                    RetryTlsFor = table.Column<TimeSpan>(type: "TEXT", nullable: false),
                    Source = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    UpdatedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_TlsPolicies", x => x.Pattern);
                });

            migrationBuilder.CreateIndex(
                name: "IX_ContentRules_Position",
                table: "ContentRules",
                column: "Position");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "ContentRules");

            migrationBuilder.DropTable(
                name: "TlsPolicies");

            migrationBuilder.DropColumn(
                name: "PolicyAction",
                table: "Recipients");

            migrationBuilder.DropColumn(
                name: "PolicyLevel",
                table: "Recipients");

            migrationBuilder.DropColumn(
                name: "PolicySource",
                table: "Recipients");

            migrationBuilder.DropColumn(
                name: "MeetsSecure",
                table: "DeliveryAttempts");

            migrationBuilder.DropColumn(
                name: "MeetsVerify",
                table: "DeliveryAttempts");

            migrationBuilder.DropColumn(
                name: "RequiredLevel",
                table: "DeliveryAttempts");
        }
    }
}
