using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SecureFallback.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class RevokeAndExtend : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<byte[]>(
                name: "ExtendTokenHash",
                table: "Recipients",
                type: "BLOB",
                maxLength: 32,
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "RevokeConfirmationPending",
                table: "Recipients",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<byte[]>(
                name: "RevokeTokenHash",
                table: "Recipients",
                type: "BLOB",
                maxLength: 32,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "RevokedAt",
                table: "Recipients",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "RevokedBy",
                table: "Recipients",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "HoldActions",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    RecipientId = table.Column<long>(type: "INTEGER", nullable: false),
                    MessageId = table.Column<Guid>(type: "TEXT", nullable: false),
                    At = table.Column<long>(type: "INTEGER", nullable: false),
                    Action = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    By = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    HoldUntil = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_HoldActions", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Recipients_ExtendTokenHash",
                table: "Recipients",
                column: "ExtendTokenHash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Recipients_RevokeConfirmationPending",
                table: "Recipients",
                column: "RevokeConfirmationPending",
                filter: "\"RevokeConfirmationPending\"");

            migrationBuilder.CreateIndex(
                name: "IX_Recipients_RevokeTokenHash",
                table: "Recipients",
                column: "RevokeTokenHash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_HoldActions_At",
                table: "HoldActions",
                column: "At");

            migrationBuilder.CreateIndex(
                name: "IX_HoldActions_MessageId",
                table: "HoldActions",
                column: "MessageId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "HoldActions");

            migrationBuilder.DropIndex(
                name: "IX_Recipients_ExtendTokenHash",
                table: "Recipients");

            migrationBuilder.DropIndex(
                name: "IX_Recipients_RevokeConfirmationPending",
                table: "Recipients");

            migrationBuilder.DropIndex(
                name: "IX_Recipients_RevokeTokenHash",
                table: "Recipients");

            migrationBuilder.DropColumn(
                name: "ExtendTokenHash",
                table: "Recipients");

            migrationBuilder.DropColumn(
                name: "RevokeConfirmationPending",
                table: "Recipients");

            migrationBuilder.DropColumn(
                name: "RevokeTokenHash",
                table: "Recipients");

            migrationBuilder.DropColumn(
                name: "RevokedAt",
                table: "Recipients");

            migrationBuilder.DropColumn(
                name: "RevokedBy",
                table: "Recipients");
        }
    }
}
