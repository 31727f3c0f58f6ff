using System.Globalization;
using System.Text;

namespace SecureFallback.Bench;

/// <summary>
/// The portal bench's message body: a newsletter-like 420-row statement table of about 50 KB, with a text part. Shared
/// (linked) by the held message (SecureFallback.Benchmarks portal-session) and the bare page that renders the same
/// HTML (SecureFallback.BareRazor /page50), so both pages send the same bytes of body.
/// </summary>
internal static class Statement
{
    public static (string Html, string Text) Build()
    {
        var html = new StringBuilder("<html><body><h1>Quarterly statement</h1><p>Dear reader, your <a href=\"https://bank.bench.test/\">statement</a>:</p>")
            .Append("<table border=\"1\" cellpadding=\"4\"><thead><tr><th>Date</th><th>Description</th><th>Reference</th><th>Amount</th></tr></thead><tbody>");
        var text = new StringBuilder("Quarterly statement\n\n");
        for (var row = 0; row < 420; row++)
        {
            var date = new DateOnly(2026, 1, 1).AddDays(row / 5).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            var amount = ((row * 7919 % 100000) / 100.0).ToString("F2", CultureInfo.InvariantCulture);
            html.Append(CultureInfo.InvariantCulture, $"<tr><td>{date}</td><td><b>Card</b> payment {row}</td><td>RF{row:D6}</td><td align=\"right\">{amount}</td></tr>\n");
            text.Append(CultureInfo.InvariantCulture, $"{date}  Card payment {row}  RF{row:D6}  {amount}\n");
        }

        html.Append("</tbody></table><p>Kind regards,<br>The bench bank</p></body></html>");
        return (html.ToString(), text.ToString());
    }
}
