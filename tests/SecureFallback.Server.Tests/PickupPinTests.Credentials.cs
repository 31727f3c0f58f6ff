using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using SecureFallback.Core.Pickup;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

/// <summary>
/// The PIN unlocks a message for the account's credentials of that moment, not for whoever later holds the account:
/// a password reset by a mailed code (which whoever reads the recipient's mail path can also read) asks for it again.
/// </summary>
public sealed partial class PickupPinTests
{
    [Fact]
    public async Task PinUnlock_AfterAPasswordResetByMailedCode_TheMessageAsksForThePinAgain()
    {
        var mail = new CapturedCodes();
        await using var held = await HeldAsync(["carol@plain.test"], s => s.AddSingleton<IAccountMail>(mail));
        using var carol = new PortalVisitor(held.Server.WebAddress);
        var message = await RegisterAsync(carol, held);
        using (var entered = await EnterPinAsync(carol, message, PinFor(held.DsnText, "carol@plain.test")))
        {
            Assert.Equal(HttpStatusCode.Redirect, entered.StatusCode);
        }

        Assert.Contains("carol-marker-body", await ReadAsync(carol, message));

        // Whoever reads carol's mail path asks for a reset code, reads it there and chooses a password of their own.
        using var reader = new PortalVisitor(held.Server.WebAddress);
        await PostFormAsync(reader, "/forgot-password?handler=Send", new() { ["email"] = "carol@plain.test" });
        var code = Assert.Single(mail.Sent).Code;
        const string theirs = "a password of the path reader";
        await PostFormAsync(reader, "/forgot-password?handler=Reset", new() { ["email"] = "carol@plain.test", ["code"] = code, ["password"] = theirs, ["confirm"] = theirs });
        await reader.SignInAsync("carol@plain.test", theirs);

        var page = await ReadAsync(reader, message);
        Assert.DoesNotContain("carol-marker-body", page);
        Assert.Contains("name=\"pin\"", page);
        foreach (var download in new[] { "?handler=eml", "?handler=attachment&index=0" })
        {
            using var refused = await reader.SendAsync(HttpMethod.Get, message + download);
            Assert.DoesNotContain("carol-marker-body", await refused.Content.ReadAsStringAsync());
        }

        // The real recipient, who has the PIN from the sender, opens it again with it.
        using (var entered = await EnterPinAsync(reader, message, PinFor(held.DsnText, "carol@plain.test")))
        {
            Assert.Equal(HttpStatusCode.Redirect, entered.StatusCode);
        }

        Assert.Contains("carol-marker-body", await ReadAsync(reader, message));
    }

    private static async Task PostFormAsync(PortalVisitor visitor, string path, Dictionary<string, string> fields)
    {
        using var form = await visitor.SendAsync(HttpMethod.Get, path.Split('?')[0]);
        fields["__RequestVerificationToken"] = PortalVisitor.TokenIn(await form.Content.ReadAsStringAsync());
        using var response = await visitor.SendAsync(HttpMethod.Post, path, fields);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private sealed class CapturedCodes : IAccountMail
    {
        public ConcurrentQueue<(string Address, AccountMailPurpose Purpose, string Code)> Sent { get; } = new();

        public Task SendCodeAsync(string address, AccountMailPurpose purpose, string code, TimeSpan validFor, CancellationToken cancellationToken)
        {
            Sent.Enqueue((address, purpose, code));
            return Task.CompletedTask;
        }
    }
}
