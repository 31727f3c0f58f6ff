using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SecureFallback.Data.Migrations.Sqlite
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
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Day = table.Column<string>(type: "TEXT", maxLength: 10, nullable: false),
                    PolicyDomain = table.Column<string>(type: "TEXT", maxLength: 255, nullable: false),
                    Rua = table.Column<string>(type: "TEXT", maxLength: 1024, nullable: false),
                    ReportId = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    SuccessfulSessions = table.Column<long>(type: "INTEGER", nullable: false),
                    FailedSessions = table.Column<long>(type: "INTEGER", nullable: false),
                    Attempts = table.Column<int>(type: "INTEGER", nullable: false),
                    LastAttemptAt = table.Column<long>(type: "INTEGER", nullable: true),
                    SentAt = table.Column<long>(type: "INTEGER", nullable: true),
                    MessageId = table.Column<Guid>(type: "TEXT", nullable: true),
                    LastError = table.Column<string>(type: "TEXT", maxLength: 512, nullable: true),
                    ClaimedUntil = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_TlsReportSends", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "TlsSessionCounts",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Day = table.Column<string>(type: "TEXT", maxLength: 10, nullable: false),
                    PolicyDomain = table.Column<string>(type: "TEXT", maxLength: 255, nullable: false),
                    PolicyKey = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Policy = table.Column<string>(type: "TEXT", maxLength: 16384, nullable: false),
                    ResultType = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    SendingIp = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    ReceivingMxHost = table.Column<string>(type: "TEXT", maxLength: 255, nullable: false),
                    ReceivingIp = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    ReceivingMxHelo = table.Column<string>(type: "TEXT", maxLength: 255, nullable: false),
                    SessionCount = table.Column<long>(type: "INTEGER", nullable: false)
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
                name: "IX_TlsSessionCounts_Day_PolicyDomain_PolicyKey_ResultType_SendingIp_ReceivingMxHost_ReceivingIp_ReceivingMxHelo",
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
