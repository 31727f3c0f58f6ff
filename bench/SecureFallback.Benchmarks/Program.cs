using BenchmarkDotNet.Running;
using SecureFallback.Benchmarks;

// `smtp-load` and `encryption` serve bench/run.sh; anything else goes to BenchmarkDotNet (--filter ...).
return args.FirstOrDefault() switch
{
    "smtp-load" => await SmtpLoad.RunAsync(args[1..]),
    "encryption" => QuickEncryption.Run(),
    _ => Run(args),
};

static int Run(string[] args)
{
    BenchmarkSwitcher.FromAssembly(typeof(LargeMessageReading).Assembly).Run(args);
    return 0;
}
