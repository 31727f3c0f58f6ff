using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(SecureFallback.Benchmarks.LargeMessageReading).Assembly).Run(args);
