using SecureFallback.TestKit;

namespace SecureFallback.Server.Tests;

public sealed class ProcessTests
{
    [Fact]
    public async Task Server_KilledRightAfterThe250_DeliversTheMessageExactlyOnceAfterRestart()
    {
        var dataDirectory = SecureFallbackInstance.NewDataDirectory();
        var intakePort = TestPorts.Free();
        var receiverPort = TestPorts.Free();
        string[] arguments =
        [
            .. SecureFallbackInstance.BaseArguments(dataDirectory),
            $"--SecureFallback:Intake:Port={intakePort}",
            $"--SecureFallback:Delivery:Routes:after-crash.test=127.0.0.1:{receiverPort}",
        ];

        using (var first = ServerProcess.Start(arguments))
        {
            await first.WaitForIntakeAsync(intakePort);
            await using var client = await RawSmtpClient.ConnectAsync(intakePort);
            await client.StartDataAsync("alice@sender.test", "bob@after-crash.test");
            var reply = await client.CommandAsync("Subject: survive\r\n\r\nkill me now\r\n.");
            Assert.StartsWith("250", reply);
            first.Kill();
        }

        // The receiver was down until now, so nothing could have been delivered before the kill.
        await using var receiver = await TlsSmtpReceiver.StartAsync(port: receiverPort);
        using var second = ServerProcess.Start(arguments);
        await second.WaitForIntakeAsync(intakePort);

        var received = Assert.Single(await receiver.WaitForMessagesAsync(1, TimeSpan.FromSeconds(60)));
        Assert.Contains("kill me now", received.Text);
        await Task.Delay(TimeSpan.FromSeconds(3)); // one more retry round would show a duplicate
        Assert.Single(receiver.Messages);
    }

    [Fact]

    [Trait("Database", "SqliteOnly")] // reads key files or the SQLite file itself
    public async Task Server_WithACorruptMasterKey_StopsAtStartWithAClearMessage()
    {
        var dataDirectory = SecureFallbackInstance.NewDataDirectory();
        Directory.CreateDirectory(Path.Combine(dataDirectory, "keys"));
        await File.WriteAllBytesAsync(Path.Combine(dataDirectory, "keys", "master-v1.key"), [1, 2, 3]);
        using var process = ServerProcess.Start(SecureFallbackInstance.BaseArguments(dataDirectory));

        var exitCode = await process.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(2, exitCode);
        Assert.Contains("SecureFallback cannot start: Master key file", process.Output);
        Assert.Contains("Restore it from backup", process.Output);
        Assert.DoesNotContain("   at ", process.Output);
    }

    [Theory]
    [InlineData("--SecureFallback:Intake:Port=99999", "SecureFallback:Intake:Port 99999 is outside 0-65535.")]
    [InlineData("--SecureFallback:Intake:AllowedNetworks:0=10.0.0.0/33", "SecureFallback:Intake:AllowedNetworks:0 '10.0.0.0/33' is not a CIDR network")]
    [InlineData("--SecureFallback:Delivery:Routes:tls.test=127.0.0.1:notaport", "SecureFallback:Delivery:Routes:tls.test '127.0.0.1:notaport' is not host:port")]
    [InlineData("--SecureFallback:Dns:Servers:0=resolver.example", "SecureFallback:Dns:Servers:0 'resolver.example' is not ip or ip:port.")]
    [InlineData("--SecureFallback:Protection:KeyProvider=Vault", "SecureFallback:Protection:KeyProvider must be File or Certificate.")]
    [InlineData("--SecureFallback:Protection:KeyProvider=Certificate", "needs SecureFallback:Protection:CertificatePath")]
    [InlineData("--SecureFallback:Policies:partner.test:Level=strict", "SecureFallback:Policies:partner.test:Level 'strict' must be encrypt, verify, secure or dane-only.")]
    [InlineData("--SecureFallback:Policies:partner.test:OnFailure=drop", "SecureFallback:Policies:partner.test:OnFailure 'drop' must be pickup, bounce, retry-then-pickup or deliver-plain.")]
    [InlineData("--SecureFallback:Rules:0:Action=pickup", "SecureFallback:Rules:0 needs at least one condition")]
    [InlineData("--SecureFallback:Delivery:TrustedRoots:0=/nonexistent/ca.pem", "SecureFallback:Delivery:TrustedRoots:0 '/nonexistent/ca.pem'")]
    [InlineData("--SecureFallback:Portal:PublicUrl=not a url", "SecureFallback:Portal:PublicUrl 'not a url' must be an absolute http(s) URL")]
    [InlineData("--SecureFallback:Portal:Replies=everyone", "SecureFallback:Portal:Replies 'everyone' must be off, sender or sender-and-recipients.")]
    [InlineData("--SecureFallback:Portal:ReplyMaxBytes=1000000000", "SecureFallback:Portal:ReplyMaxBytes 1000000000 must be between 1024 and 104857600 (100 MB).")]
    [InlineData("--SecureFallback:Portal:RepliesPerHour=0", "SecureFallback:Portal:RepliesPerHour 0 must be at least 1.")]
    [InlineData("--SecureFallback:Branding:AccentColor=blue", "SecureFallback:Branding:AccentColor 'blue' must be a colour such as #1f4e79 or #fa0.")]
    [InlineData("--SecureFallback:Branding:AccentColor=#fa0\n", "SecureFallback:Branding:AccentColor '#fa0\n' must be a colour such as #1f4e79 or #fa0.")]
    [InlineData("--SecureFallback:Branding:LogoPath=/nonexistent/logo.png", "SecureFallback:Branding:LogoPath '/nonexistent/logo.png' does not exist.")]
    [InlineData("--SecureFallback:Branding:LogoPath=/etc/hostname", "SecureFallback:Branding:LogoPath '/etc/hostname' must be a .png or .svg file.")]
    [InlineData("--SecureFallback:Roles=Intake,Mailer", "SecureFallback:Roles must be All or a comma-separated list of Intake, Delivery and Portal")]
    [InlineData("--SecureFallback:Database:Provider=mysql", "SecureFallback:Database:Provider must be sqlite or postgres")]
    [InlineData("--SecureFallback:Database:Provider=postgres", "needs ConnectionStrings:SecureFallback")]
    [InlineData("--SecureFallback:Delivery:ConnectionsPerDomain=0", "SecureFallback:Delivery:ConnectionsPerDomain must be between 1 and 100")]
    [InlineData("--SecureFallback:Delivery:PollInterval=00:00:00", "SecureFallback:Delivery:PollInterval must be at least 1 second")]
    public async Task Server_WithBadConfiguration_StopsAtStartWithAClearMessage(string badSetting, string expectedMessage)
    {
        var dataDirectory = SecureFallbackInstance.NewDataDirectory();
        // No database settings of the test run's own (PostgreSQL): each case is about the one bad setting.
        using var process = ServerProcess.Start([.. SecureFallbackInstance.BaseArguments(dataDirectory).Except(TestDatabase.Arguments(dataDirectory)), badSetting]);

        var exitCode = await process.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(2, exitCode);
        Assert.Contains("the configuration is invalid", process.Output);
        Assert.Contains(expectedMessage, process.Output);
        Assert.DoesNotContain("   at ", process.Output); // a message, not a stack trace
    }

    [Fact]
    public async Task Server_WhosePostgresIsUnreachable_StopsAtStartWithAClearMessage()
    {
        var dataDirectory = SecureFallbackInstance.NewDataDirectory();
        using var process = ServerProcess.Start(
        [
            .. SecureFallbackInstance.BaseArguments(dataDirectory).Except(TestDatabase.Arguments(dataDirectory)),
            "--SecureFallback:Database:Provider=postgres",
            $"--ConnectionStrings:SecureFallback=Host=127.0.0.1;Port={TestPorts.Free()};Database=sf_nowhere;Username=nobody;Timeout=3",
        ]);

        var exitCode = await process.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(2, exitCode);
        Assert.Contains("SecureFallback cannot start: the PostgreSQL database is not usable", process.Output);
        Assert.Contains("Check ConnectionStrings:SecureFallback", process.Output);
        Assert.DoesNotContain("   at ", process.Output);
    }
}

public sealed class UsersCommandTests
{
    [Fact]
    public async Task UsersAdd_CreatesARelayUserWhoseHashIsStored_NotThePassword()
    {
        var dataDirectory = SecureFallbackInstance.NewDataDirectory();
        var arguments = new[] { "users", "add", "Relay-One", $"--SecureFallback:DataDirectory={dataDirectory}" };

        var (exitCode, output) = await CliRunner.RunAsync(arguments, "a-long-relay-password\n");

        Assert.Equal(0, exitCode);
        Assert.Contains("Created relay user 'relay-one'", output);
        await DeliveryTests.GrepDataDirectoryAsync(dataDirectory, "a-long-relay-password");
        var (listExit, list) = await CliRunner.RunAsync(["users", "list", $"--SecureFallback:DataDirectory={dataDirectory}"], "");
        Assert.Equal(0, listExit);
        Assert.Contains("relay-one", list);
    }

    [Fact]
    public async Task UsersAdd_WithAShortPassword_IsRefused()
    {
        var dataDirectory = SecureFallbackInstance.NewDataDirectory();

        var (exitCode, output) = await CliRunner.RunAsync(["users", "add", "relay", $"--SecureFallback:DataDirectory={dataDirectory}"], "short\n");

        Assert.Equal(64, exitCode);
        Assert.Contains("at least 12 characters", output);
    }
}
