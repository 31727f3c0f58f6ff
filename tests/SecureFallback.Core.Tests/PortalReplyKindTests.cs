using SecureFallback.Core.Messages;
using SecureFallback.Core.Policies;
using static SecureFallback.Core.Tests.RecipientFixtures;

namespace SecureFallback.Core.Tests;

/// <summary>A reply written on the portal carries content: TLS is mandatory for it, whatever the domain's policy says.</summary>
public sealed class PortalReplyKindTests
{
    [Fact]
    public void PortalReply_MayNeitherTravelWithoutTls_NorBeHeld_NorFollowDeliverPlain()
    {
        Assert.False(MessageKind.PortalReply.MayTravelWithoutTls());
        Assert.False(MessageKind.PortalReply.MayBeHeldForPickup());
        Assert.False(MessageKind.PortalReply.MayFollowDeliverPlain());
        Assert.True(MessageKind.Submitted.MayFollowDeliverPlain());
    }

    [Theory]
    [InlineData(MessageKind.DeliveryStatusNotification)] // carries the sender's PINs and revoke/extend links
    [InlineData(MessageKind.ReadReceipt)] // also the revoke confirmation
    [InlineData(MessageKind.PortalReply)]
    public void Decide_ForGeneratedMailUnderDeliverPlain_NeverDeliversPlain(MessageKind kind)
    {
        var evaluator = new PolicyEvaluator([new TlsPolicy { Pattern = "sender.test", Level = TlsLevel.Encrypt, OnFailure = FailureAction.DeliverPlain }], []);
        var generated = new MessageTlsRequest(kind, new MessageFacts("x", _ => null, "", "sender.test"), false, null);

        var requirement = TlsRequirement.Decide(evaluator, "sender.test", generated, null, ["mx.sender.test"]);

        Assert.False(kind.MayFollowDeliverPlain());
        Assert.NotEqual(FailureAction.DeliverPlain, requirement.OnFailure);
    }

    [Fact]
    public void Decide_ForAPortalReplyUnderDeliverPlain_KeepsTheDomainsLevelButNeverDeliversPlain()
    {
        var evaluator = new PolicyEvaluator([new TlsPolicy { Pattern = "sender.test", Level = TlsLevel.Verify, OnFailure = FailureAction.DeliverPlain }], []);
        var reply = new MessageTlsRequest(MessageKind.PortalReply, new MessageFacts("Re: x", _ => null, "", "sender.test"), false, null);

        var requirement = TlsRequirement.Decide(evaluator, "sender.test", reply, null, ["mx.sender.test"]);

        Assert.Equal(TlsLevel.Verify, requirement.Level);
        Assert.NotEqual(FailureAction.DeliverPlain, requirement.OnFailure);
        Assert.Contains("deliver-plain applies only to submitted mail", requirement.Decision.Source);
    }

    [Fact]
    public void RecordAttempt_PortalReplyWithoutTls_IsRetried_ThenFailsAtTheMaximumQueueTime_WithoutADsn()
    {
        var reply = Queued(Message(envelopeFrom: "", kind: MessageKind.PortalReply));

        reply.RecordAttempt(Over(NoStartTls), PlainPolicy, Rules, After(TimeSpan.FromMinutes(1)));
        Assert.Equal(RecipientStatus.Queued, reply.Status);
        Assert.False(reply.DeliveredInClear);
        reply.RecordAttempt(Over(NoStartTls), PlainPolicy, Rules, After(TimeSpan.FromDays(5)));

        Assert.Equal(RecipientStatus.Failed, reply.Status);
        Assert.Equal("4.4.7", reply.StatusCode);
        Assert.False(reply.DsnPending);
        Assert.Null(reply.HoldUntil);
    }
}
