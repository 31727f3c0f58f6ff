using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using SecureFallback.Core.Pickup;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

/// <summary>
/// Trust on first use: whoever holds the password can give an account its first second step. So every change of
/// second step is mailed to the account's address, where its owner learns of one they did not make.
/// </summary>
public sealed class SecondStepChangeMailTests
{
    private const string Address = "carol@plain.test";
    private const string Password = "a long portal password";

    [Fact]
    public async Task TurningTheAuthenticatorOnAndOff_MailsTheAccountsAddressEachTime()
    {
        var mail = new CapturedMail();
        await using var server = await SecureFallbackInstance.StartAsync(
            new Dictionary<string, string> { ["SecureFallback:Portal:CredentialRequestsPerMinute"] = "1000" },
            services: s => s.AddSingleton<IAccountMail>(mail));
        await server.AddPortalUserAsync(Address, Password);
        using var owner = new PortalVisitor(server.WebAddress);
        await owner.SignInAsync(Address, Password);

        var authenticator = await owner.TurnOnAuthenticatorAsync();
        var on = Assert.Single(mail.Sent);
        Assert.Equal((Address, AccountMailPurpose.SecondStepChanged), (on.Address, on.Purpose));
        Assert.Contains("authenticator", on.What, StringComparison.OrdinalIgnoreCase);

        using var form = await owner.SendAsync(HttpMethod.Get, "/account/security");
        using var off = await owner.SendAsync(HttpMethod.Post, "/account/security?handler=Disable", new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = PortalVisitor.TokenIn(await form.Content.ReadAsStringAsync()),
            ["code"] = authenticator.ComputeTotp(DateTime.UtcNow.AddSeconds(30)),
        });
        Assert.Contains("Two-step sign-in is off.", await off.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(2, mail.Sent.Count(m => m.Purpose == AccountMailPurpose.SecondStepChanged && m.Address == Address));
    }

    private sealed class CapturedMail : IAccountMail
    {
        public ConcurrentQueue<(string Address, AccountMailPurpose Purpose, string What)> Sent { get; } = new();

        public Task SendCodeAsync(string address, AccountMailPurpose purpose, string code, TimeSpan validFor, CancellationToken cancellationToken)
        {
            Sent.Enqueue((address, purpose, code));
            return Task.CompletedTask;
        }
    }
}
