using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SecureFallback.Data.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class AddressKeys : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_PickupGrants_Address",
                table: "PickupGrants");

            migrationBuilder.AddColumn<string>(
                name: "AddressKey",
                table: "PickupGrants",
                type: "character varying(512)",
                maxLength: 512,
                nullable: false,
                defaultValue: "");

            // Hand-added to the generated migration, once per provider. Existing grants get their key
            // (PickupGrant.AddressKeyOf: ASCII letters folded, nothing else), and accounts their look-up names in the
            // same rule (AddressLookupNormalizer). For ASCII addresses both are what they were; a UTF-8 local part's
            // were folded by Identity's Unicode upper case, which no look-up produces any more.
            // translate() folds A-Z alone, whatever the collation (lower() and upper() follow it).
            migrationBuilder.Sql(
                """
                UPDATE "PickupGrants" SET "AddressKey" = translate("Address", 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz');
                UPDATE "AspNetUsers" SET "NormalizedUserName" = translate("UserName", 'abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'), "NormalizedEmail" = translate("Email", 'abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ');
                """);

            migrationBuilder.CreateIndex(
                name: "IX_PickupGrants_AddressKey",
                table: "PickupGrants",
                column: "AddressKey");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_PickupGrants_AddressKey",
                table: "PickupGrants");

            migrationBuilder.DropColumn(
                name: "AddressKey",
                table: "PickupGrants");

            migrationBuilder.CreateIndex(
                name: "IX_PickupGrants_Address",
                table: "PickupGrants",
                column: "Address");
        }
    }
}
