using System.Collections.Concurrent;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SecureFallback.Core.Messages;
using SecureFallback.Core.Pickup;
using SecureFallback.Data;
using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

/// <summary>
/// <c>securefallback accounts list|remove</c>: the administrator's way to deal with a disowned portal account. Removing
/// it unlocks the held copies its "this was not me" lock locked, so the real owner can register again.
/// </summary>
public sealed partial class AccountsCommandTests
{
    private const string Carol = "carol@plain.test";
    private const string Admin = "admin@ops.test";
    private const string Password = "a long portal password";

    [Fact]
    public async Task AccountsRemove_OfADisownedAccount_UnlocksItsHeldCopies_BehindAPin_KillsTheOldLinkAndCode_SoTheOwnerRegistersAgain_ButRefusesAdmins()
    {
        var dataDirectory = SecureFallbackInstance.NewDataDirectory();
        await using var plain = new ScriptedSmtpReceiver(ScriptedTlsBehaviour.NoStartTls);
        await using var sender = await TlsSmtpReceiver.StartAsync("mx.sender.test");
        var settings = new Dictionary<string, string>
        {
            ["SecureFallback:Delivery:Routes:plain.test"] = plain.Route,
            ["SecureFallback:Delivery:Routes:sender.test"] = sender.Route,
            ["SecureFallback:Portal:CredentialRequestsPerMinute"] = "1000",
        };
        string token, reference;
        await using (var server = await SecureFallbackInstance.StartAsync(settings, dataDirectory))
        {
            await server.AddPortalUserAsync(Admin, "an admin console password", "Admin");
            await server.SendAsync("alice@sender.test", [Carol], "For Carol", "accounts-marker-body");
            var notice = (await plain.WaitForMessageAsync()).TextBody!;
            (token, reference) = (TokenInLink().Match(notice).Groups[1].Value, ReferenceIn().Match(notice).Value);
            using var attacker = new PortalVisitor(server.WebAddress);
            await PostAsync(attacker, $"/pickup/{token}", null, new() { ["password"] = Password, ["confirm"] = Password }, HttpStatusCode.Redirect);
            using var owner = new PortalVisitor(server.WebAddress);
            Assert.Contains("This account is locked", await PostAsync(owner, $"/pickup/{token}", "NotMe", [], HttpStatusCode.OK));
            await server.WaitForIdleQueueAsync();
        }

        var (listExit, list) = await CliAsync(dataDirectory, "accounts", "list");
        Assert.Equal(0, listExit);
        Assert.Matches($@"(?m)^{Regex.Escape(Carol)}\tcreated \S+ \S+\trecipient\tdisowned \S+ \S+\tlocked", list);
        Assert.Matches($@"(?m)^{Regex.Escape(Admin)}\tcreated \S+ \S+\tadmin\t-\t-", list);

        var (adminExit, adminOutput) = await CliAsync(dataDirectory, "accounts", "remove", Admin);
        Assert.Equal(64, adminExit);
        Assert.Contains("admin", adminOutput);
        var (removeExit, removed) = await CliAsync(dataDirectory, "accounts", "remove", Carol.ToUpperInvariant());
        Assert.Equal(0, removeExit);
        Assert.Contains("1 held message unlocked", removed);
        Assert.Contains("Issue new PIN", removed); // the unlocked copies wait for a PIN the admin gives the owner by phone
        Assert.Equal(1, (await CliAsync(dataDirectory, "accounts", "remove", Carol)).ExitCode); // gone

        var mail = new CapturedCodes();
        await using (var server = await SecureFallbackInstance.StartAsync(settings, dataDirectory, services: s => s.AddSingleton<IAccountMail>(mail)))
        {
            await using (var scope = server.Services.CreateAsyncScope())
            {
                var db = scope.ServiceProvider.GetRequiredService<SecureFallbackDbContext>();
                Assert.False(await db.Users.AnyAsync(u => u.NormalizedEmail == Carol.ToUpperInvariant()));
                Assert.Null((await db.Recipients.SingleAsync(r => r.Address == Carol && r.Message!.Kind == MessageKind.Submitted)).PickupLockedAt);
                Assert.True((await db.PickupGrants.SingleAsync()).PinRequired);
            }

            // The old link and reference code were one credential, spent by the attacker: neither registers again.
            using var attacker = new PortalVisitor(server.WebAddress);
            Assert.Contains("do not match", await PostAsync(attacker, "/code", "Register", new() { ["email"] = Carol, ["code"] = reference, ["password"] = Password, ["confirm"] = Password }, HttpStatusCode.OK));
            Assert.Contains("do not match", await PostAsync(attacker, "/code", "Check", new() { ["email"] = Carol, ["code"] = reference }, HttpStatusCode.OK));
            Assert.DoesNotContain("Create your portal password", await (await attacker.SendAsync(HttpMethod.Get, $"/pickup/{token}")).Content.ReadAsStringAsync());

            using var owner = new PortalVisitor(server.WebAddress);
            await PostAsync(owner, "/register", "Send", new() { ["email"] = Carol }, HttpStatusCode.OK);
            var code = Assert.Single(mail.Sent).Code;
            await PostAsync(owner, "/register", "Confirm", new() { ["email"] = Carol, ["code"] = code, ["password"] = Password, ["confirm"] = Password }, HttpStatusCode.Redirect);
            using var inbox = await owner.SendAsync(HttpMethod.Get, "/inbox");
            var message = MessageLink().Match(await inbox.Content.ReadAsStringAsync()).Value;
            using var read = await owner.SendAsync(HttpMethod.Get, message);
            Assert.DoesNotContain("accounts-marker-body", await read.Content.ReadAsStringAsync()); // until the admin's PIN
        }
    }

    private static Task<(int ExitCode, string Output)> CliAsync(string dataDirectory, params string[] words) =>
        CliRunner.RunAsync([.. words, .. SecureFallbackInstance.BaseArguments(dataDirectory)], "");

    private static async Task<string> PostAsync(PortalVisitor visitor, string page, string? handler, Dictionary<string, string> fields, HttpStatusCode expected)
    {
        using var form = await visitor.SendAsync(HttpMethod.Get, page);
        fields["__RequestVerificationToken"] = PortalVisitor.TokenIn(await form.Content.ReadAsStringAsync());
        using var response = await visitor.SendAsync(HttpMethod.Post, handler is null ? page : $"{page}?handler={handler}", fields);
        Assert.Equal(expected, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    [GeneratedRegex(@"/pickup/([A-Za-z0-9_-]{43})")]
    private static partial Regex TokenInLink();

    [GeneratedRegex(@"\b[A-HJKMNP-Z2-9]{3}-[A-HJKMNP-Z2-9]{3}-[A-HJKMNP-Z2-9]{3}\b")]
    private static partial Regex ReferenceIn();

    [GeneratedRegex(@"/messages/[0-9a-f-]{36}")]
    private static partial Regex MessageLink();

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
