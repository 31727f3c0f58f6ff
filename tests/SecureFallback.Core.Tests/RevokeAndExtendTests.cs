using SecureFallback.Core.Messages;
using static SecureFallback.Core.Tests.RecipientFixtures;

namespace SecureFallback.Core.Tests;

/// <summary>The sender (or an admin) revokes a held copy, or extends its hold, and each owes the sender a confirmation.</summary>
public sealed class RevokeAndExtendTests
{
    private static readonly DateTimeOffset HoldUntil = After(TimeSpan.FromDays(30));

    [Fact]
    public void Revoke_OfAHeldCopy_IsFinal_RecordsWhoAndWhen_AndOwesTheSenderAConfirmation()
    {
        var carol = Held(HoldUntil);
        var now = After(TimeSpan.FromDays(2));

        carol.Revoke(RevokedBy.Sender, now);

        Assert.Equal(RecipientStatus.Revoked, carol.Status);
        Assert.Equal(now, carol.CompletedAt);
        Assert.Equal(now, carol.RevokedAt);
        Assert.Equal(RevokedBy.Sender, carol.RevokedBy);
        Assert.True(carol.RevokeConfirmationPending);
        Assert.Null(carol.RevokeTokenHash); // the links die with the copy
        carol.RevokeConfirmationQueued();
        Assert.False(carol.RevokeConfirmationPending);
        Assert.Throws<InvalidOperationException>(() => carol.Revoke(RevokedBy.Administrator, now));
        Assert.Throws<InvalidOperationException>(() => carol.ExtendHold(TimeSpan.FromDays(1), now));
    }

    [Fact]
    public void Revoke_FromTheNullSender_OwesNoConfirmation_AndAQueuedCopyCannotBeRevoked()
    {
        var held = Held(HoldUntil, Message(envelopeFrom: ""));
        var queued = Queued();

        held.Revoke(RevokedBy.Administrator, After(TimeSpan.FromDays(1)));

        Assert.False(held.RevokeConfirmationPending);
        Assert.Throws<InvalidOperationException>(() => queued.Revoke(RevokedBy.Sender, After(TimeSpan.FromDays(1))));
        Assert.Equal(RecipientStatus.Queued, queued.Status);
    }

    [Fact]
    public void ExtendHold_MovesHoldUntil_ButNeverPastTheLimitFromArrival()
    {
        var carol = Held(HoldUntil);

        carol.ExtendHold(TimeSpan.FromDays(14), After(TimeSpan.FromDays(3)));

        Assert.Equal(HoldUntil + TimeSpan.FromDays(14), carol.HoldUntil);
        Assert.Equal(RecipientStatus.HeldForPickup, carol.Status);
        var tooFar = Assert.Throws<ArgumentOutOfRangeException>(() => carol.ExtendHold(TimeSpan.FromDays(400), After(TimeSpan.FromDays(3))));
        Assert.Contains("365 days", tooFar.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => carol.ExtendHold(TimeSpan.Zero, After(TimeSpan.FromDays(3))));
        Assert.Equal(HoldUntil + TimeSpan.FromDays(14), carol.HoldUntil); // unchanged by the refusals
        Assert.Throws<InvalidOperationException>(() => Queued().ExtendHold(TimeSpan.FromDays(1), After(TimeSpan.FromDays(1))));
    }

    [Fact]
    public void SenderLinkTokens_AreStoredOnlyAsHashes_AndOnePerAction()
    {
        var carol = Held(HoldUntil);

        var (revoke, extend) = carol.IssueSenderLinkTokens();

        Assert.NotEqual(revoke, extend);
        Assert.Equal(Pickup.PickupGrant.HashToken(revoke), carol.RevokeTokenHash);
        Assert.Equal(Pickup.PickupGrant.HashToken(extend), carol.ExtendTokenHash);
        Assert.Throws<InvalidOperationException>(() => Queued().IssueSenderLinkTokens());
    }
}
