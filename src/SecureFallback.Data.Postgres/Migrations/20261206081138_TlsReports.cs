using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace SecureFallback.Data.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class TlsReports : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "TlsReportSends",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    Day = table.Column<string>(type: "character varying(10)", maxLength: 10, nullable: false),
                    PolicyDomain = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    Rua = table.Column<string>(type: "character varying(1024)", maxLength: 1024, nullable: false),
                    ReportId = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    SuccessfulSessions = table.Column<long>(type: "bigint", nullable: false),
                    FailedSessions = table.Column<long>(type: "bigint", nullable: false),
                    Attempts = table.Column<int>(type: "integer", nullable: false),
                    LastAttemptAt = table.Column<long>(type: "bigint", nullable: true),
                    SentAt = table.Column<long>(type: "bigint", nullable: true),
                    MessageId = table.Column<Guid>(type: "uuid", nullable: true),
                    LastError = table.Column<string>(type: "character varying(512)", maxLength: 512, nullable: true),
                    ClaimedUntil = table.Column<long>(type: "bigint", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_TlsReportSends", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "TlsSessionCounts",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    Day = table.Column<string>(type: "character varying(10)", maxLength: 10, nullable: false),
                    PolicyDomain = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    PolicyKey = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Policy = table.Column<string>(type: "character varying(16384)", maxLength: 16384, nullable: false),
                    ResultType = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    SendingIp = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    ReceivingMxHost = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    ReceivingIp = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    ReceivingMxHelo = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    SessionCount = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_TlsSessionCounts", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_TlsReportSends_Day_PolicyDomain_Rua",
                table: "TlsReportSends",
                columns: new[] { "Day", "PolicyDomain", "Rua" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_TlsReportSends_PolicyDomain",
                table: "TlsReportSends",
                column: "PolicyDomain");

            migrationBuilder.CreateIndex(
                name: "IX_TlsSessionCounts_Day_PolicyDomain_PolicyKey_ResultType_Send~",
                table: "TlsSessionCounts",
                columns: new[] { "Day", "PolicyDomain", "PolicyKey", "ResultType", "SendingIp", "ReceivingMxHost", "ReceivingIp", "ReceivingMxHelo" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "TlsReportSends");

            migrationBuilder.DropTable(
                name: "TlsSessionCounts");
        }
    }
}
