using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using MimeKit;

namespace SecureFallback.TestKit;

/// <summary>
/// A real Postfix as a peer: a private instance (<c>postfix -c DIR</c>, never the system one) on a free loopback port,
/// which delivers every message it accepts into one maildir under its directory (virtual delivery, any domain), logs to
/// its own <c>maillog</c> (postlogd) for diagnosis, and offers STARTTLS with a certificate made in code, with
/// <c>smtpd_tls_received_header</c> on so each message's Received header says whether it came over TLS, or offers no
/// STARTTLS at all until <see cref="OfferStartTlsAsync"/>. Stopped and deleted on dispose.
/// Needs root (the tests and CI run as root) and the postfix package; scripts/install-test-deps.sh checks both.
/// </summary>
public sealed class PrivatePostfix : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private PrivatePostfix(string hostName, string directory, int port, bool offersStartTls)
    {
        (HostName, Directory, Port, OffersStartTls) = (hostName, directory, port, offersStartTls);
    }

    public string HostName { get; }

    /// <summary>The instance's directory: main.cf, master.cf, queue, maildir and maillog.</summary>
    public string Directory { get; }

    public int Port { get; }

    /// <summary>The value for <c>SecureFallback:Delivery:Routes:&lt;domain&gt;</c>.</summary>
    public string Route => $"127.0.0.1:{Port}";

    public bool OffersStartTls { get; private set; }

    /// <summary>The maildir every accepted message is delivered to.</summary>
    public string Maildir => Path.Combine(Directory, "mail", "inbox");

    /// <summary>What the instance logged so far (its <c>maillog_file</c>).</summary>
    public string Log => File.Exists(Path.Combine(Directory, "maillog")) ? File.ReadAllText(Path.Combine(Directory, "maillog")) : "";

    /// <summary>The messages delivered so far, oldest first, as they lie in the maildir (Return-Path and Received on top).</summary>
    public IReadOnlyList<MimeMessage> Messages => [.. DeliveredFiles().Select(f => MimeMessage.Load(f))];

    /// <summary>Starts an instance on a free port; with <paramref name="offerStartTls"/> false its EHLO offers no STARTTLS.</summary>
    /// <exception cref="InvalidOperationException">Postfix did not start (its output and log are in the message).</exception>
    public static async Task<PrivatePostfix> StartAsync(string hostName = "mx.postfix.test", bool offerStartTls = true)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("securefallback-postfix-").FullName;
        var postfix = new PrivatePostfix(hostName, directory, TestPorts.Free(), offerStartTls);
        try
        {
            WriteCertificate(directory, hostName);
            postfix.WriteMainCf();
            await File.WriteAllTextAsync(Path.Combine(directory, "master.cf"), MasterCf(postfix.Port));
            // Postfix's daemons (user postfix) must reach the queue, and virtual delivery (user nobody) the maildir.
            await postfix.RunAsync("chmod 755 . && chmod 600 key.pem && mkdir -p queue data mail && chown postfix data && chown nobody mail && chgrp $(id -g nobody) mail && postfix -c \"$PWD\" start");
            await postfix.WaitForStartTlsOfferAsync(offerStartTls);
            return postfix;
        }
        catch
        {
            await postfix.DisposeAsync();
            throw;
        }
    }

    /// <summary>The administrator turns STARTTLS on: main.cf rewritten, <c>postfix reload</c>; returns once a new session is offered it.</summary>
    public async Task OfferStartTlsAsync()
    {
        OffersStartTls = true;
        WriteMainCf();
        await RunAsync("postfix -c \"$PWD\" reload");
        await WaitForStartTlsOfferAsync(true);
    }

    /// <summary>Waits until at least <paramref name="count"/> messages were delivered to the maildir (30 s by default).</summary>
    /// <exception cref="TimeoutException">Fewer arrived in time (the message ends with the instance's log).</exception>
    public async Task<IReadOnlyList<MimeMessage>> WaitForMessagesAsync(int count, TimeSpan? timeout = null)
    {
        var started = TimeProvider.System.GetTimestamp();
        while (DeliveredFiles().Count < count)
        {
            if (TimeProvider.System.GetElapsedTime(started) > (timeout ?? TimeSpan.FromSeconds(30)))
            {
                throw new TimeoutException($"Expected {count} messages in the maildir of Postfix on port {Port}, found {DeliveredFiles().Count}. Its log:\n{Log}");
            }

            await Task.Delay(100);
        }

        return Messages;
    }

    public async ValueTask DisposeAsync()
    {
        if (File.Exists(Path.Combine(Directory, "queue", "pid", "master.pid")))
        {
            // Its own master only, by the pid it wrote (read by cat: the master holds a lock on the file).
            await RunAsync("postfix -c \"$PWD\" stop; for _ in $(seq 50); do postfix -c \"$PWD\" status || exit 0; sleep 0.2; done; "
                + "kill -9 \"$(cat queue/pid/master.pid)\"");
        }

        System.IO.Directory.Delete(Directory, recursive: true);
    }

    private List<string> DeliveredFiles()
    {
        var delivered = Path.Combine(Maildir, "new");
        return System.IO.Directory.Exists(delivered)
            ? [.. new DirectoryInfo(delivered).GetFiles().OrderBy(f => f.LastWriteTimeUtc).ThenBy(f => f.Name, StringComparer.Ordinal).Select(f => f.FullName)]
            : [];
    }

    /// <summary>Runs a shell command in the instance's directory; its output goes to <c>commands.log</c> there.</summary>
    /// <exception cref="InvalidOperationException">It failed or ran over 30 s (the output and log are in the message).</exception>
    private async Task RunAsync(string command)
    {
        var log = Path.Combine(Directory, "commands.log");
        // Output to a file, never a pipe: Postfix's master, started from here, would keep a pipe open for ever.
        var start = new System.Diagnostics.ProcessStartInfo("/bin/sh") { WorkingDirectory = Directory, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add($"({command}) >>commands.log 2>&1 </dev/null");
        using var process = System.Diagnostics.Process.Start(start)!;
        using var timeout = new CancellationTokenSource(StartTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
        }

        if (!process.HasExited || process.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{command}' failed for Postfix in {Directory}:\n{File.ReadAllText(log)}\n{Log}");
        }
    }

    /// <summary>Opens sessions until one greets and answers EHLO offering STARTTLS (or not) as asked, for up to 30 s.</summary>
    private async Task WaitForStartTlsOfferAsync(bool offered)
    {
        var started = TimeProvider.System.GetTimestamp();
        while (true)
        {
            try
            {
                if (await EhloOffersStartTlsAsync() == offered)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is SocketException or IOException)
            {
                // not listening yet
            }

            if (TimeProvider.System.GetElapsedTime(started) > StartTimeout)
            {
                throw new InvalidOperationException($"Postfix in {Directory} did not answer on port {Port} {(offered ? "with" : "without")} STARTTLS:\n{Log}");
            }

            await Task.Delay(200);
        }
    }

    private async Task<bool> EhloOffersStartTlsAsync()
    {
        using var client = new TcpClient();
        await client.ConnectAsync(System.Net.IPAddress.Loopback, Port);
        using var reader = new StreamReader(client.GetStream(), Encoding.ASCII);
        await using var writer = new StreamWriter(client.GetStream(), Encoding.ASCII) { NewLine = "\r\n", AutoFlush = true };
        await ReplyAsync(reader);
        await writer.WriteLineAsync("EHLO probe.test");
        var ehlo = await ReplyAsync(reader);
        await writer.WriteLineAsync("QUIT");
        return ehlo.Contains("STARTTLS", StringComparison.Ordinal);
    }

    private static async Task<string> ReplyAsync(StreamReader reader)
    {
        var reply = new StringBuilder();
        string? line;
        do
        {
            line = await reader.ReadLineAsync() ?? throw new IOException("the connection closed");
            reply.AppendLine(line);
        }
        while (line.Length > 3 && line[3] == '-');

        return reply.ToString();
    }

    private static void WriteCertificate(string directory, string hostName)
    {
        using var certificate = TestCertificates.SelfSigned(hostName);
        File.WriteAllText(Path.Combine(directory, "cert.pem"), certificate.ExportCertificatePem());
        File.WriteAllText(Path.Combine(directory, "key.pem"), certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
    }

    private void WriteMainCf()
    {
        var domain = HostName.Split('.', 2) is [_, var rest] ? rest : HostName;
        File.WriteAllText(Path.Combine(Directory, "main.cf"), $"""
            compatibility_level = 3.6
            queue_directory = {Directory}/queue
            data_directory = {Directory}/data
            command_directory = /usr/sbin
            daemon_directory = /usr/lib/postfix/sbin
            meta_directory = /etc/postfix
            shlib_directory = no
            mail_owner = postfix
            setgid_group = postdrop
            myhostname = {HostName}
            mydomain = {domain}
            myorigin = {domain}
            inet_interfaces = 127.0.0.1
            inet_protocols = ipv4
            mydestination =
            relay_domains =
            mynetworks = 127.0.0.0/8
            smtpd_relay_restrictions = permit_mynetworks, reject
            smtpd_recipient_restrictions = permit_mynetworks, reject
            smtpd_peername_lookup = no
            alias_maps =
            alias_database =
            biff = no
            virtual_mailbox_domains = static:all
            virtual_mailbox_base = {Directory}/mail
            virtual_mailbox_maps = static:inbox/
            virtual_uid_maps = static:{Nobody.Uid}
            virtual_gid_maps = static:{Nobody.Gid}
            virtual_minimum_uid = 1
            maillog_file = {Directory}/maillog
            maillog_file_prefixes = {Directory}
            smtpd_tls_cert_file = {Directory}/cert.pem
            smtpd_tls_key_file = {Directory}/key.pem
            smtpd_tls_security_level = {(OffersStartTls ? "may" : "none")}
            smtpd_tls_received_header = yes

            """);
    }

    private static string MasterCf(int port) => $"""
        127.0.0.1:{port} inet n - n - - smtpd
        pickup    unix  n - n 60   1 pickup
        cleanup   unix  n - n -    0 cleanup
        qmgr      unix  n - n 300  1 qmgr
        tlsmgr    unix  - - n 1000? 1 tlsmgr
        rewrite   unix  - - n -    - trivial-rewrite
        bounce    unix  - - n -    0 bounce
        defer     unix  - - n -    0 bounce
        trace     unix  - - n -    0 bounce
        verify    unix  - - n -    1 verify
        flush     unix  n - n 1000? 0 flush
        proxymap  unix  - - n -    - proxymap
        anvil     unix  - - n -    1 anvil
        scache    unix  - - n -    1 scache
        virtual   unix  - n n -    - virtual
        error     unix  - - n -    - error
        retry     unix  - - n -    - error
        showq     unix  n - n -    - showq
        postlog   unix-dgram n - n - 1 postlogd

        """;

    /// <summary>The uid and gid of <c>nobody</c>, as whom virtual delivery writes the maildir.</summary>
    private static (string Uid, string Gid) Nobody =>
        File.ReadLines("/etc/passwd").Select(l => l.Split(':')).FirstOrDefault(f => f is ["nobody", _, _, _, ..]) is { } fields
            ? (fields[2], fields[3])
            : ("65534", "65534");
}
