using Gateway.Harness.NodeHost;
using Gateway.Node;
using Microsoft.Extensions.DependencyInjection;

// --Harness:ClockFile=<path> names the run's offset file; every other argument is the node's own.
const string ClockOption = "--Harness:ClockFile=";
var clockFile = args.FirstOrDefault(a => a.StartsWith(ClockOption, StringComparison.Ordinal))?[ClockOption.Length..];
if (string.IsNullOrEmpty(clockFile))
{
    Console.Error.WriteLine($"Gateway.Harness.NodeHost: {ClockOption}<path> is required (the harness's clock offset file).");
    return 2;
}
var clock = new OffsetFileClock(clockFile);
var app = NodeApplication.Build(args.Where(a => !a.StartsWith(ClockOption, StringComparison.Ordinal)).ToArray(),
    b => b.Services.AddSingleton<TimeProvider>(clock));
await app.StartNodeAsync();
await app.WaitForShutdownAsync();
return 0;
