using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SecureFallback.Data.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class ReadReceiptDetails : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "LockReportPending",
                table: "Recipients",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<long>(
                name: "PickupLockedAt",
                table: "Recipients",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "FirstReadAccountCreatedHere",
                table: "PickupGrants",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<string>(
                name: "FirstReadBrowser",
                table: "PickupGrants",
                type: "character varying(16)",
                maxLength: 16,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "FirstReadNetwork",
                table: "PickupGrants",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

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

            migrationBuilder.AddColumn<string>(
                name: "ReadNetworks",
                table: "PickupGrants",
                type: "character varying(320)",
                maxLength: 320,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "ReopenCount",
                table: "PickupGrants",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<bool>(
                name: "ReopenNoticePending",
                table: "PickupGrants",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<Guid>(
                name: "CreatedByGrantId",
                table: "AspNetUsers",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "DisownReportPending",
                table: "AspNetUsers",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<long>(
                name: "DisownedAt",
                table: "AspNetUsers",
                type: "bigint",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_Recipients_LockReportPending",
                table: "Recipients",
                column: "LockReportPending",
                filter: "\"LockReportPending\"");

            migrationBuilder.CreateIndex(
                name: "IX_PickupGrants_ReopenNoticePending",
                table: "PickupGrants",
                column: "ReopenNoticePending",
                filter: "\"ReopenNoticePending\"");

            migrationBuilder.CreateIndex(
                name: "IX_AspNetUsers_DisownReportPending",
                table: "AspNetUsers",
                column: "DisownReportPending",
                filter: "\"DisownReportPending\"");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Recipients_LockReportPending",
                table: "Recipients");

            migrationBuilder.DropIndex(
                name: "IX_PickupGrants_ReopenNoticePending",
                table: "PickupGrants");

            migrationBuilder.DropIndex(
                name: "IX_AspNetUsers_DisownReportPending",
                table: "AspNetUsers");

            migrationBuilder.DropColumn(
                name: "LockReportPending",
                table: "Recipients");

            migrationBuilder.DropColumn(
                name: "PickupLockedAt",
                table: "Recipients");

            migrationBuilder.DropColumn(
                name: "FirstReadAccountCreatedHere",
                table: "PickupGrants");

            migrationBuilder.DropColumn(
                name: "FirstReadBrowser",
                table: "PickupGrants");

            migrationBuilder.DropColumn(
                name: "FirstReadNetwork",
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
                name: "ReadNetworks",
                table: "PickupGrants");

            migrationBuilder.DropColumn(
                name: "ReopenCount",
                table: "PickupGrants");

            migrationBuilder.DropColumn(
                name: "ReopenNoticePending",
                table: "PickupGrants");

            migrationBuilder.DropColumn(
                name: "CreatedByGrantId",
                table: "AspNetUsers");

            migrationBuilder.DropColumn(
                name: "DisownReportPending",
                table: "AspNetUsers");

            migrationBuilder.DropColumn(
                name: "DisownedAt",
                table: "AspNetUsers");
        }
    }
}
