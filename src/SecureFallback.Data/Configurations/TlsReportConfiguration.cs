using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using SecureFallback.Core.Reporting;

namespace SecureFallback.Data.Configurations;

internal sealed class TlsSessionCountConfiguration : IEntityTypeConfiguration<TlsSessionCount>
{
    public void Configure(EntityTypeBuilder<TlsSessionCount> builder)
    {
        builder.ToTable("TlsSessionCounts");
        builder.HasKey(c => c.Id);
        builder.Property(c => c.Day).HasMaxLength(10);
        builder.Property(c => c.PolicyDomain).HasMaxLength(255);
        builder.Property(c => c.PolicyKey).HasMaxLength(64);
        // text: a policy (its TLSA records, an MTA-STS policy of many mx lines) has no useful bound, and one over a
        // bound would roll back the whole round's counts.
        builder.Property(c => c.Policy);
        builder.Property(c => c.ResultType).HasMaxLength(32);
        builder.Property(c => c.SendingIp).HasMaxLength(64);
        builder.Property(c => c.ReceivingMxHost).HasMaxLength(255);
        builder.Property(c => c.ReceivingIp).HasMaxLength(64);
        builder.Property(c => c.ReceivingMxHelo).HasMaxLength(255);
        // The upsert's conflict target (TlsSessionCounts.AddAsync): instances add to one row per kind of session.
        builder.HasIndex(c => new { c.Day, c.PolicyDomain, c.PolicyKey, c.ResultType, c.SendingIp, c.ReceivingMxHost, c.ReceivingIp, c.ReceivingMxHelo }).IsUnique();
    }
}

internal sealed class TlsReportSendConfiguration : IEntityTypeConfiguration<TlsReportSend>
{
    public void Configure(EntityTypeBuilder<TlsReportSend> builder)
    {
        builder.ToTable("TlsReportSends");
        builder.HasKey(s => s.Id);
        builder.Property(s => s.Day).HasMaxLength(10);
        builder.Property(s => s.PolicyDomain).HasMaxLength(255);
        builder.Property(s => s.Rua).HasMaxLength(TlsRptRecord.MaxRuaLength);
        builder.Property(s => s.ReportId).HasMaxLength(128);
        builder.Property(s => s.LastError).HasMaxLength(TlsReportSend.ErrorLength);
        builder.HasIndex(s => new { s.Day, s.PolicyDomain, s.Rua }).IsUnique();
        builder.HasIndex(s => s.PolicyDomain);
    }
}
