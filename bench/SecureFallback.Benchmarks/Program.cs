using BenchmarkDotNet.Running;
using SecureFallback.Benchmarks;

// `smtp-load`, `encryption` and `portal-session` serve bench/run.sh and bench/portal.sh; anything else goes to BenchmarkDotNet (--filter ...).
return args.FirstOrDefault() switch
{
    "smtp-load" => await SmtpLoad.RunAsync(args[1..]),
    "encryption" => QuickEncryption.Run(),
    "portal-session" => await PortalSession.RunAsync(args[1..]),
    _ => Run(args),
};

static int Run(string[] args)
{
    BenchmarkSwitcher.FromAssembly(typeof(LargeMessageReading).Assembly).Run(args);
    return 0;
}
