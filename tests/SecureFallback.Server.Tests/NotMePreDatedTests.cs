using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

/// <summary>
/// An account is as old as its password, not as its first code request: asking /register for a code creates a
/// password-less row early, and finishing it much later with a new notice's link must not dodge "this was not me".
/// </summary>
public sealed partial class NotMeOfferTests
{
    [Fact]
    public async Task AccountPreDatedByAnEarlyCodeRequest_FinishedWithALaterNoticesLink_IsOfferedNotMe_WhichLocksIt()
    {
        await using var first = await HeldAsync();
        using var attacker = new PortalVisitor(first.Server.WebAddress);
        await PostAsync(attacker, "/register", "Send", new() { ["email"] = Carol }); // a pending row, dated now
        await Task.Delay(TimeSpan.FromMilliseconds(20));
        await first.Server.SendAsync("alice@sender.test", [Carol], "Later for Carol", "second body");
        var mails = await first.Plain.WaitForMessagesAsync(3);
        var later = mails.Select(m => TokenInLink().Match(m.Parse().TextBody ?? "").Groups[1].Value)
            .Single(t => t.Length > 0 && t != first.Token);
        await RegisterThroughLinkAsync(attacker, later);

        using var owner = new PortalVisitor(first.Server.WebAddress);
        using var offer = await owner.SendAsync(HttpMethod.Get, $"/pickup/{later}");
        Assert.Contains(NotMe, await offer.Content.ReadAsStringAsync());
        Assert.Contains("This account is locked", await PostAsync(owner, $"/pickup/{later}", "NotMe", []));
        Assert.NotNull((await UserAsync(first.Server)).DisownedAt);
    }
}
