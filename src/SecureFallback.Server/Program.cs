using SecureFallback.Server;
using SecureFallback.Server.Cli;

return args.Length > 0 && CliVerbs.IsVerb(args[0])
    ? await CliVerbs.RunAsync(args)
    : await ServerHost.RunAsync(args);
