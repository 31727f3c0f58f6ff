using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SecureFallback.Data.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class AddPickupPin : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "PickupPin",
                table: "TlsPolicies",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<bool>(
                name: "PickupPinRequired",
                table: "Recipients",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<int>(
                name: "PinFailures",
                table: "PickupGrants",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<byte[]>(
                name: "PinHash",
                table: "PickupGrants",
                type: "bytea",
                maxLength: 48,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "PinIssuedAt",
                table: "PickupGrants",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "PinIssuedBy",
                table: "PickupGrants",
                type: "character varying(300)",
                maxLength: 300,
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "PinRequired",
                table: "PickupGrants",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<byte[]>(
                name: "PinResetTokenHash",
                table: "PickupGrants",
                type: "bytea",
                maxLength: 32,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "PinUnlockedAt",
                table: "PickupGrants",
                type: "bigint",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_PickupGrants_PinResetTokenHash",
                table: "PickupGrants",
                column: "PinResetTokenHash",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_PickupGrants_PinResetTokenHash",
                table: "PickupGrants");

            migrationBuilder.DropColumn(
                name: "PickupPin",
                table: "TlsPolicies");

            migrationBuilder.DropColumn(
                name: "PickupPinRequired",
                table: "Recipients");

            migrationBuilder.DropColumn(
                name: "PinFailures",
                table: "PickupGrants");

            migrationBuilder.DropColumn(
                name: "PinHash",
                table: "PickupGrants");

            migrationBuilder.DropColumn(
                name: "PinIssuedAt",
                table: "PickupGrants");

            migrationBuilder.DropColumn(
                name: "PinIssuedBy",
                table: "PickupGrants");

            migrationBuilder.DropColumn(
                name: "PinRequired",
                table: "PickupGrants");

            migrationBuilder.DropColumn(
                name: "PinResetTokenHash",
                table: "PickupGrants");

            migrationBuilder.DropColumn(
                name: "PinUnlockedAt",
                table: "PickupGrants");
        }
    }
}
